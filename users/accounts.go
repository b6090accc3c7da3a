package users

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

var userNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{1,31}$`)

// NewUser describes an account to create.
type NewUser struct {
	Name, DisplayName string
	Role              complaintbot.Role
	Branches          []string
	Password          string
}

// ParseBranches reads "0101,0102" or "HQ" into branch codes.
func ParseBranches(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == '、' }) {
		if strings.EqualFold(f, complaintbot.HeadOffice) {
			f = complaintbot.HeadOffice
		}
		out = append(out, f)
	}
	return out
}

func (s *Service) checkUser(u NewUser, withPassword bool) error {
	if !userNameRe.MatchString(u.Name) {
		return refuse(Invalid, "用户名须为 2–32 位小写字母、数字或 _ . -，以字母或数字开头。")
	}
	switch u.Name {
	case complaintbot.SystemUser, complaintbot.BotUser, complaintbot.CLIUser, complaintbot.WeChatKFUser, complaintbot.CustomerUser:
		return refuse(Invalid, "用户名 "+u.Name+" 为系统保留，请换一个。")
	}
	if !u.Role.Valid() {
		return refuse(Invalid, "角色须为 agent（坐席）、supervisor（主管）或 admin（管理员）。")
	}
	if len(u.Branches) == 0 {
		return refuse(Invalid, "请至少指定一个网点（或 HQ 表示总行）。")
	}
	for _, b := range u.Branches {
		if !s.knownBranch(b) {
			return refuse(Invalid, "未知的网点代码："+b)
		}
	}
	if withPassword {
		return CheckPassword(u.Name, u.Password)
	}
	return nil
}

// AddUser creates an account. The password is one the admin chose, so the user must set their
// own at their first login.
func (s *Service) AddUser(ctx context.Context, by complaintbot.Actor, nu NewUser) (*complaintbot.User, error) {
	if !by.Admin() {
		return nil, errForbidden
	}
	return s.addUser(ctx, by, nu, true)
}

func (s *Service) addUser(ctx context.Context, by complaintbot.Actor, nu NewUser, mustChange bool) (*complaintbot.User, error) {
	if err := s.checkUser(nu, true); err != nil {
		return nil, err
	}
	hash, err := HashPassword(nu.Password)
	if err != nil {
		return nil, err
	}
	taken := refuse(Conflict, "用户名 "+nu.Name+" 已存在。")
	if _, err := s.store.UserByName(ctx, nu.Name); err == nil {
		return nil, taken
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	now := s.clock.Now()
	u := &complaintbot.User{Name: nu.Name, DisplayName: strings.TrimSpace(nu.DisplayName), Role: nu.Role, Branches: nu.Branches,
		PasswordHash: hash, MustChangePassword: mustChange, Created: now, Updated: now}
	if err := s.audit(ctx, by, "user.add", "user", u.Name, "", fmt.Sprintf("role=%s branches=%s", u.Role, strings.Join(u.Branches, ","))); err != nil {
		return nil, err
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		if storage.IsDuplicate(err) {
			return nil, taken
		}
		return nil, err
	}
	return u, nil
}

// User returns the account with the name, or an error wrapping storage.ErrNotFound.
func (s *Service) User(ctx context.Context, name string) (*complaintbot.User, error) {
	return s.store.UserByName(ctx, name)
}

// List returns every account by name; only admins may list them.
func (s *Service) List(ctx context.Context, by complaintbot.Actor) ([]complaintbot.User, error) {
	if !by.Admin() {
		return nil, errForbidden
	}
	return s.store.Users(ctx)
}

// SetPassword gives a user a new password chosen by an admin and ends their sessions; unless the
// admin set their own, the user must choose another at their next login.
func (s *Service) SetPassword(ctx context.Context, by complaintbot.Actor, name, password string) error {
	if !by.Admin() {
		return errForbidden
	}
	if err := CheckPassword(name, password); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	mustChange := by.Name() != name
	if _, err := s.store.UserByName(ctx, name); err != nil {
		return err
	}
	if err := s.audit(ctx, by, "user.password", "user", name, "", ""); err != nil {
		return err
	}
	if err := s.store.UpdateUser(ctx, name, storage.UserChange{PasswordHash: &hash, MustChangePassword: &mustChange}, s.clock.Now()); err != nil {
		return err
	}
	return s.store.DeleteUserSessions(ctx, name)
}

// ChangePassword sets the actor's own password: current must be the one they have now. Their
// other sessions end; the one with id keep (the session they are using) stays. A wrong current
// password counts as a failed login, so a stolen session cannot be used to guess it.
func (s *Service) ChangePassword(ctx context.Context, by complaintbot.Actor, keep, current, next string) error {
	if by.User == nil {
		return ErrNoSession
	}
	name, now := by.User.Name, s.clock.Now()
	keys := []string{"user:" + name, "addr:" + by.Addr}
	if err := s.refuseLocked(ctx, keys, now); err != nil {
		return err
	}
	u, err := s.store.UserByName(ctx, name)
	if err != nil {
		return err
	}
	if !passwordMatches(u.PasswordHash, current) {
		if err := s.store.RecordLogin(ctx, keys, false, now); err != nil {
			return err
		}
		// Nothing is changed: the refusal stands whether or not its entry could be written (a
		// failure is logged).
		_ = s.audit(ctx, by, "user.password_change.failed", "user", name, "", "")
		return refuse(Invalid, "当前密码不正确。")
	}
	if next == current {
		return refuse(Invalid, "新密码不能与当前密码相同。")
	}
	if err := CheckPassword(name, next); err != nil {
		return err
	}
	hash, err := HashPassword(next)
	if err != nil {
		return err
	}
	no := false
	if err := s.audit(ctx, by, "user.password_change", "user", name, "", ""); err != nil {
		return err
	}
	if err := s.store.UpdateUser(ctx, name, storage.UserChange{PasswordHash: &hash, MustChangePassword: &no}, now); err != nil {
		return err
	}
	return s.store.DeleteOtherSessions(ctx, name, keep)
}

// SetDisabled disables (ending their sessions) or enables a user.
func (s *Service) SetDisabled(ctx context.Context, by complaintbot.Actor, name string, disabled bool) error {
	if !by.Admin() {
		return errForbidden
	}
	if disabled && by.Name() == name {
		return refuse(Invalid, "不能停用自己的账号。")
	}
	if _, err := s.store.UserByName(ctx, name); err != nil {
		return err
	}
	if err := s.audit(ctx, by, map[bool]string{true: "user.disable", false: "user.enable"}[disabled], "user", name, "", ""); err != nil {
		return err
	}
	if err := s.store.UpdateUser(ctx, name, storage.UserChange{Disabled: &disabled}, s.clock.Now()); err != nil {
		return err
	}
	if disabled {
		return s.store.DeleteUserSessions(ctx, name)
	}
	return nil
}

// SetRole changes a user's role and branches.
func (s *Service) SetRole(ctx context.Context, by complaintbot.Actor, name string, role complaintbot.Role, branches []string) error {
	if !by.Admin() {
		return errForbidden
	}
	old, err := s.store.UserByName(ctx, name)
	if err != nil {
		return err
	}
	if err := s.checkUser(NewUser{Name: name, Role: role, Branches: branches}, false); err != nil {
		return err
	}
	if by.Name() == name && role != complaintbot.RoleAdmin {
		return refuse(Invalid, "不能取消自己的管理员角色。")
	}
	if err := s.audit(ctx, by, "user.role", "user", name, fmt.Sprintf("role=%s branches=%s", old.Role, strings.Join(old.Branches, ",")),
		fmt.Sprintf("role=%s branches=%s", role, strings.Join(branches, ","))); err != nil {
		return err
	}
	return s.store.UpdateUser(ctx, name, storage.UserChange{Role: &role, Branches: branches}, s.clock.Now())
}

// Bootstrap makes sure someone can log in: with no users at all, it creates the admin account
// (head office) with the given password, or, without one, logs how to create an account. The
// operator chose that password for themselves, so it need not be changed at the first login.
func (s *Service) Bootstrap(ctx context.Context, adminPassword string) error {
	has, err := s.store.HasUsers(ctx)
	if err != nil || has {
		return err
	}
	if adminPassword == "" {
		s.log.Warn("the console has no users yet: create the first admin with `complaintbot user add admin --role admin --branches HQ` " +
			"(password from stdin or a prompt, with the service stopped when it uses the embedded database), " +
			"or start once with COMPLAINTBOT_ADMIN_PASSWORD set")
		return nil
	}
	_, err = s.addUser(ctx, bootstrap,
		NewUser{Name: "admin", DisplayName: "管理员", Role: complaintbot.RoleAdmin, Branches: []string{complaintbot.HeadOffice}, Password: adminPassword}, false)
	var e *Error
	if errors.As(err, &e) && e.Code == Conflict {
		return nil // another instance created it first
	}
	if err != nil {
		return fmt.Errorf("create the admin account from COMPLAINTBOT_ADMIN_PASSWORD: %w", err)
	}
	s.log.Info("created the console's admin account from COMPLAINTBOT_ADMIN_PASSWORD", "user", "admin")
	return nil
}
