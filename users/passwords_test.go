package users_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/users"
)

// Common and trivial passwords are refused with a reason; ordinary passphrases pass.
func TestCommonAndTrivialPasswordsAreRefused(t *testing.T) {
	refused := []struct{ name, password, why string }{
		{"alice", "short1!", "至少 8 位"},
		{"alice", strings.Repeat("长", 25), "过长"},
		{"alice", "12345678", ""},
		{"alice", "password", "常见密码"},
		{"alice", "PassWord", "常见密码"},
		{"alice", "aaaaaaaa", "同一个字符"},
		{"alice", "11111111", "同一个字符"},
		{"alice", "!!!!!!!!", "同一个字符"},
		{"alice", "12121212", "重复"},
		{"alice", "abcabcab", "重复"},
		{"alice", "abcdefgh", "连续"},
		{"alice", "87654321", "连续"},
		{"alice", "12345678!", "连续"},
		{"alice", "qwertyui", "键盘"},
		{"alice", "zxcvbnm,", "键盘"},
		{"alice", "1qaz2wsx", ""},
		{"alice", "Password2026!", "常见密码"},
		{"alice", "2026password", "常见密码"},
		{"alice", "woaini1314", "常见密码"},
		{"alice", "woaini1314!!", "常见密码"},
		{"alice", "iloveyou", "常见密码"},
		{"alice", "Zhang123", "常见密码"},
		{"alice", "alice2026", "用户名"},
		{"alice", "2026-Alice!", "用户名"},
		{"alice", "alicealice", "用户名"},
		{"wang.li", "Wang.Li@2026", "用户名"},
	}
	for _, c := range refused {
		err := users.CheckPassword(c.name, c.password)
		var e *users.Error
		if !errors.As(err, &e) || e.Code != users.Invalid {
			t.Errorf("%q for %s: accepted (%v)", c.password, c.name, err)
			continue
		}
		if c.why != "" && !strings.Contains(e.Msg, c.why) {
			t.Errorf("%q for %s: refused with %q, want a reason with %q", c.password, c.name, e.Msg, c.why)
		}
	}
	for _, ok := range []struct{ name, password string }{
		{"alice", "correct-horse-1"},
		{"wangli", "Wang-Li-pass-2026"},
		{"admin", "first-admin-pw"},
		{"admin", "Bench-admin-2026!"},
		{"alice", "窗口排队一小时2026"},
		{"alice", "tea-kettle-Orbit-9"},
	} {
		if err := users.CheckPassword(ok.name, ok.password); err != nil {
			t.Errorf("%q for %s refused: %v", ok.password, ok.name, err)
		}
	}
}
