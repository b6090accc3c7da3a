package complaintbot

// Actor is who acts — a console user, the command line or the service itself — and from where.
// Every workflow (cases, handoffs, users) takes one: the user's role and branches decide what the
// actor may do, and the name and address go to the audit trail.
type Actor struct {
	// User is the account acting. An action without one is refused.
	User *User
	// Addr is the address the request came from ("local" for the command line, "" for the
	// service's own actions).
	Addr string
}

// Name returns the acting user's name; "" without a user.
func (a Actor) Name() string {
	if a.User == nil {
		return ""
	}
	return a.User.Name
}

// Admin reports whether the actor is an admin.
func (a Actor) Admin() bool { return a.User != nil && a.User.Role == RoleAdmin }

// The pseudo-users: names that appear where a user name does (who sent a message, who changed a
// case or a conversation, the audit trail) but are no account. No account may take these names.
const (
	// SystemUser is the service's own actions: the scheduler's jobs (notices, escalations,
	// surveys, housekeeping), agents' idle conversations returned to the bot, the first admin.
	SystemUser = "system"
	// BotUser is the bot: its replies in a conversation.
	BotUser = "bot"
	// CLIUser is the command line (`complaintbot user`): an admin at the machine.
	CLIUser = "cli"
	// WeChatKFUser is WeChat's own customer-service system, holding a conversation handed to it
	// (console.handoff_mode wechat_kf).
	WeChatKFUser = "wechat_kf"
	// CustomerUser is the customer acting on their own case in the chat (a withdrawal, a request
	// for review): the Customer actor.
	CustomerUser = "customer"
)

// System is the actor of the service's own actions: an admin of head office named SystemUser.
var System = Actor{User: &User{Name: SystemUser, DisplayName: "系统", Role: RoleAdmin, Branches: []string{HeadOffice}}}

// CLI is the actor of `complaintbot user` commands: an admin of head office at the machine.
var CLI = Actor{User: &User{Name: CLIUser, DisplayName: "命令行", Role: RoleAdmin, Branches: []string{HeadOffice}}, Addr: "local"}

// Customer is the actor of what customers do to their own cases in the chat (cases.Withdraw and
// cases.RequestReview for the customer): a pseudo-user named CustomerUser of head office, so that
// the case workflow reaches every branch's cases; the workflow checks that the case is the
// customer's own.
var Customer = Actor{User: &User{Name: CustomerUser, DisplayName: "客户本人", Role: RoleAgent, Branches: []string{HeadOffice}}}
