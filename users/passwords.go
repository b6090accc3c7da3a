package users

import (
	"bufio"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 8

// maxPasswordBytes is what bcrypt reads of a password; a longer one is refused rather than cut.
const maxPasswordBytes = 72

// hashCost is bcrypt's work factor (tests lower it: UseQuickHashesInTests).
var hashCost = bcrypt.DefaultCost

// UseQuickHashesInTests makes the passwords hashed from now on, and the comparison made for an
// unknown user, use bcrypt's lowest work factor: a test's users are added and sign in in
// milliseconds instead of a tenth of a second each (ten times that under the race detector).
// Passwords hashed before still match. Only tests call it, before they start anything; the service
// never does.
func UseQuickHashesInTests() {
	hashCost = bcrypt.MinCost
	dummyHash, _ = bcrypt.GenerateFromPassword([]byte("complaintbot-no-such-user"), hashCost)
}

// HashPassword hashes a password with bcrypt.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), hashCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// dummyHash is compared against when the user does not exist, so that a login takes as long
// either way.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("complaintbot-no-such-user"), bcrypt.DefaultCost)

func passwordMatches(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// CheckPassword tells whether password may be the password of the user name, and if not why,
// in a sentence for the person choosing it. It refuses a password that is
//   - shorter than MinPasswordLength characters or longer than bcrypt reads (72 bytes);
//   - one character repeated (aaaaaaaa), or a group of two to four repeated (12121212, abcabcab);
//   - a run of consecutive characters (12345678, abcdefgh, 87654321) or a keyboard row (qwertyui);
//   - the user name, possibly repeated and with digits or symbols around it (alice2026!);
//   - a common password (the lists in commonpasswords/: 12345678, password, woaini1314 …),
//     alone or with digits or symbols around it (password2026!).
//
// Case is ignored throughout, and symbols around a password do not rescue it (12345678!).
func CheckPassword(name, password string) error {
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return refuse(Invalid, fmt.Sprintf("密码至少 %d 位。", MinPasswordLength))
	}
	if len(password) > maxPasswordBytes {
		return refuse(Invalid, "密码过长（最多 72 字节）。")
	}
	p := strings.ToLower(password)
	bare := strings.TrimFunc(p, isSymbol)    // symbols around it do not count
	core := strings.TrimFunc(p, isNotLetter) // nor do digits
	for _, v := range []string{p, bare} {
		r := []rune(v)
		if len(r) < 4 {
			continue
		}
		switch {
		case allSame(r):
			return refuse(Invalid, "密码不能由同一个字符重复组成。")
		case repeatsGroup(r):
			return refuse(Invalid, "密码不能是几个字符的简单重复（如 12121212、abcabcab）。")
		case consecutive(r) || onKeyboardRow(v):
			return refuse(Invalid, "密码不能是连续的字符或键盘上相邻的一排键（如 12345678、abcdefgh、qwertyui）。")
		}
	}
	if n := strings.ToLower(name); n != "" && (p == n || bare == n || (core != "" && strings.ReplaceAll(core, n, "") == "")) {
		return refuse(Invalid, "密码不能是用户名，或用户名加数字、符号。")
	}
	list := commonPasswords()
	for _, v := range []string{p, bare, core} {
		if _, ok := list[v]; ok && utf8.RuneCountInString(v) >= 4 {
			return refuse(Invalid, "这是常见密码，很容易被猜中，请换一个。")
		}
	}
	return nil
}

func isSymbol(r rune) bool    { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
func isNotLetter(r rune) bool { return !unicode.IsLetter(r) }

func allSame(r []rune) bool {
	for _, c := range r[1:] {
		if c != r[0] {
			return false
		}
	}
	return true
}

// repeatsGroup reports whether r is a group of two to four characters repeated (the last time
// possibly cut short), at least twice.
func repeatsGroup(r []rune) bool {
	for n := 2; n <= 4 && 2*n <= len(r); n++ {
		same := true
		for i := n; i < len(r) && same; i++ {
			same = r[i] == r[i-n]
		}
		if same {
			return true
		}
	}
	return false
}

// consecutive reports whether every character follows the one before it (or every one precedes it).
func consecutive(r []rune) bool {
	step := r[1] - r[0]
	if step != 1 && step != -1 {
		return false
	}
	for i := 2; i < len(r); i++ {
		if r[i]-r[i-1] != step {
			return false
		}
	}
	return true
}

// keyboardRows are runs of neighbouring keys on a QWERTY keyboard.
var keyboardRows = []string{"1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
	"qazwsxedcrfvtgbyhnujmikolp", "q1w2e3r4t5y6u7i8o9p0", "1q2w3e4r5t6y7u8i9o0p"}

func onKeyboardRow(p string) bool {
	for _, row := range keyboardRows {
		if strings.Contains(row, p) || strings.Contains(reverse(row), p) {
			return true
		}
	}
	return false
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

//go:embed commonpasswords/*.txt
var commonFS embed.FS

// commonPasswords is the set of every listed password, in lower case, read on first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := map[string]struct{}{}
	files, _ := fs.Glob(commonFS, "commonpasswords/*.txt")
	for _, name := range files {
		f, err := commonFS.Open(name)
		if err != nil {
			panic(fmt.Sprintf("users: embedded %s: %v", name, err)) // cannot happen: it is compiled in
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			set[strings.ToLower(line)] = struct{}{}
		}
		_ = f.Close()
	}
	return set
})
