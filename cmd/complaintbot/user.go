package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/users"
)

const userUsage = `Usage:
  complaintbot user add NAME --role agent|supervisor|admin --branches 0101,0102|HQ [--name 显示名]
  complaintbot user list
  complaintbot user disable NAME
  complaintbot user enable NAME
  complaintbot user passwd NAME

Every subcommand also takes -config FILE. Passwords are read from standard input (one line) or,
on a terminal, asked for without echo; never give one as an argument. A password given by add or
passwd is a first one: its user must choose their own at their next login. HQ (head office) sees
every branch. With the embedded database, stop the service first (it owns the data folder), or
manage users on the console's 用户管理 page.
`

// user manages console accounts.
func user(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, userUsage)
		return nil
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", defaultConfigPath(), "the configuration file")
	role := fs.String("role", "agent", "agent, supervisor or admin")
	branches := fs.String("branches", "", "branch codes, comma-separated, or HQ for head office")
	display := fs.String("name", "", "the name shown in the console")
	// Flags may come before or after NAME.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		pos, args = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	wantArgs := map[string]int{"add": 1, "list": 0, "disable": 1, "enable": 1, "passwd": 1}
	n, ok := wantArgs[sub]
	if !ok || len(pos) != n {
		fmt.Fprint(stderr, userUsage)
		return errUsage
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	def, err := app.LoadFlow(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	store, err := storage.Open(ctx, storage.Options{URI: cfg.MongoDB.URI, Database: cfg.MongoDB.Database, DataDir: cfg.DataDir, Logger: quiet})
	if errors.Is(err, storage.ErrDataDirLocked) {
		return fmt.Errorf("%w: stop the service first, or manage users on the console's 用户管理 page", err)
	}
	if err != nil {
		return err
	}
	defer store.Close(context.Background())
	accounts := users.New(users.Deps{Store: store, Clock: complaintbot.SystemClock{}, Log: quiet, Config: cfg.Console, Branches: def.Branches()})
	in := bufio.NewReader(stdin)
	switch sub {
	case "list":
		list, err := accounts.List(ctx, complaintbot.CLI)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tDISPLAY\tROLE\tBRANCHES\tSTATUS")
		for _, u := range list {
			status := "active"
			if u.Disabled {
				status = "disabled"
			} else if u.MustChangePassword {
				status = "active (sets own password at next login)"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", u.Name, u.DisplayName, u.Role, strings.Join(u.Branches, ","), status)
		}
		return w.Flush()
	case "add":
		pw, err := readPassword(in, stdin, stderr)
		if err != nil {
			return err
		}
		u, err := accounts.AddUser(ctx, complaintbot.CLI, users.NewUser{Name: pos[0], DisplayName: *display, Role: complaintbot.Role(*role),
			Branches: users.ParseBranches(*branches), Password: pw})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created %s (%s, %s); they choose their own password at their first login\n", u.Name, u.Role, strings.Join(u.Branches, ","))
	case "disable", "enable":
		if err := accounts.SetDisabled(ctx, complaintbot.CLI, pos[0], sub == "disable"); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%sd %s\n", sub, pos[0])
	case "passwd":
		if _, err := accounts.User(ctx, pos[0]); err != nil {
			return err
		}
		pw, err := readPassword(in, stdin, stderr)
		if err != nil {
			return err
		}
		if err := accounts.SetPassword(ctx, complaintbot.CLI, pos[0], pw); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password of %s changed; their sessions ended; they choose their own at their next login\n", pos[0])
	}
	return nil
}

// readPassword reads a password: asked twice without echo on a terminal, else one line of stdin.
func readPassword(in *bufio.Reader, stdin io.Reader, prompt io.Writer) (string, error) {
	f, isFile := stdin.(*os.File)
	tty := false
	if isFile {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	line := func() (string, error) {
		s, err := in.ReadString('\n')
		if err != nil && (err != io.EOF || s == "") {
			return "", errors.New("no password on standard input")
		}
		return strings.TrimRight(s, "\r\n"), nil
	}
	if !tty {
		return line()
	}
	echo := func(on bool) {
		arg := "-echo"
		if on {
			arg = "echo"
		}
		cmd := exec.Command("stty", arg)
		cmd.Stdin = f
		_ = cmd.Run()
	}
	echo(false)
	defer echo(true)
	fmt.Fprint(prompt, "Password: ")
	p1, err := line()
	fmt.Fprintln(prompt)
	if err != nil {
		return "", err
	}
	fmt.Fprint(prompt, "Again: ")
	p2, err := line()
	fmt.Fprintln(prompt)
	if err != nil {
		return "", err
	}
	if p1 != p2 {
		return "", errors.New("the passwords differ")
	}
	return p1, nil
}
