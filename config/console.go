package config

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Console configures the agent and supervisor console on server.console_addr.
type Console struct {
	// SessionIdle logs a user out after this long without a request.
	SessionIdle Duration `yaml:"session_idle"`
	// LoginMaxFailures failed logins in a row lock an account (and an address) for LoginLockout.
	LoginMaxFailures int      `yaml:"login_max_failures"`
	LoginLockout     Duration `yaml:"login_lockout"`
	// TrustedProxies are the addresses (CIDR ranges or single IPs) of the reverse proxies in front
	// of the console. Only a request from one of them has its X-Forwarded-For (the client's
	// address, for the per-address lock-out and the audit trail) and X-Forwarded-Proto (https:
	// Strict-Transport-Security) believed. Empty: the connection's own address counts.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// AgentIdleTimeout returns a conversation held by an agent to the bot after this long without
	// activity, and tells the customer.
	AgentIdleTimeout Duration `yaml:"agent_idle_timeout"`
	// WorkingHours is when agents answer, "09:00-17:30" in Asia/Shanghai on working days; outside
	// them a customer who asks for a person is told when agents are back and may leave a message.
	WorkingHours string `yaml:"working_hours"`
	// HandoffMode is "console" (agents answer in this console) or "wechat_kf" (hand the customer
	// to WeChat's own customer-service system with a transfer_customer_service reply).
	HandoffMode string `yaml:"handoff_mode"`
	// CannedReplies, when set, replace the flow file's quick_replies as the ready answers a new
	// database starts its quick replies with (see package quickreplies).
	CannedReplies []string `yaml:"canned_replies"`
}

func defaultConsole() Console {
	return Console{
		SessionIdle:      Duration(30 * time.Minute),
		LoginMaxFailures: 5,
		LoginLockout:     Duration(15 * time.Minute),
		TrustedProxies:   []string{},
		AgentIdleTimeout: Duration(15 * time.Minute),
		WorkingHours:     "09:00-17:30",
		HandoffMode:      "console",
		CannedReplies:    []string{},
	}
}

func (c Console) validate() []string {
	var p []string
	if c.SessionIdle <= 0 {
		p = append(p, "console.session_idle must be above 0")
	}
	if c.LoginMaxFailures < 1 {
		p = append(p, "console.login_max_failures must be at least 1")
	}
	if c.LoginLockout <= 0 {
		p = append(p, "console.login_lockout must be above 0")
	}
	for _, tp := range c.TrustedProxies {
		if _, err := ParseProxy(tp); err != nil {
			p = append(p, fmt.Sprintf("console.trusted_proxies: %q is not an address or a CIDR range like 10.0.0.0/8", tp))
		}
	}
	if c.AgentIdleTimeout <= 0 {
		p = append(p, "console.agent_idle_timeout must be above 0")
	}
	if _, _, err := ParseWorkingHours(c.WorkingHours); err != nil {
		p = append(p, "console.working_hours "+err.Error())
	}
	if c.HandoffMode != "console" && c.HandoffMode != "wechat_kf" {
		p = append(p, "console.handoff_mode must be console or wechat_kf")
	}
	return p
}

// ParseWorkingHours reads "09:00-17:30" into minutes after midnight.
func ParseWorkingHours(s string) (from, to int, err error) {
	var h1, m1, h2, m2 int
	if n, _ := fmt.Sscanf(s, "%d:%d-%d:%d", &h1, &m1, &h2, &m2); n != 4 || h1 > 23 || h2 > 24 || m1 > 59 || m2 > 59 {
		return 0, 0, errWorkingHours
	}
	from, to = h1*60+m1, h2*60+m2
	if from >= to {
		return 0, 0, errWorkingHours
	}
	return from, to, nil
}

var errWorkingHours = errors.New(`must look like "09:00-17:30" (start before end)`)

// ParseProxy reads one entry of console.trusted_proxies: a CIDR range (10.0.0.0/8) or a single
// address (10.0.0.5, taken as /32 or /128).
func ParseProxy(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}
