package complaintbot_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// The rules of the house (../shared/design.md §2), read from the code as `go list` sees it. Only
// what a package's non-test files import counts (GoFiles/Imports): tests may use the database
// driver to break things on purpose, and the benchmarks in loadtest start whole services.
//
//  1. Only storage and its sub-packages import a database: the MongoDB driver and bson
//     (go.mongodb.org/...), FerretDB (github.com/FerretDB/...), SQLite (modernc.org/...) or
//     database/sql.
//  2. The root (the domain) and flows (the conversation engine) do no I/O: they, and every
//     package they import (of this module or a dependency), import none of the standard
//     library's I/O packages (ioPackages); a dependency's I/O import that the module's use never
//     reaches is listed in thirdPartyIO with why.
//  3. No package imports one above it: each package has a layer (layers); an import goes to a
//     lower layer, or within a package's own tree (storage/seed → storage), or is one of the
//     few allowed between peers (peers).
//  4. No customer-facing Chinese sentence in Go: what the customer reads comes from the flow file
//     (flows/default.yaml, read by the flow loader). The packages on the customer's path
//     (customerPath) hold no string literal with a Han character outside the staff-facing
//     declarations listed in staffText, each with why its text is for staff only. Staff-facing
//     pages and workflows (console, reports, users, followups, calls, erasures, sandbox) and the flow
//     loader itself are not checked.

const module = "github.com/complaintbot/complaintbot"

// layers places every package of the module, by path below the module ("" is the root), from
// the bottom up (design.md §2: root < textnorm/taxonomy/calendar < flows < storage <
// conversations/cases/handoffs/users < scheduler/reports < bot/console < app < cmd). Packages the
// design's table does not name are placed by what they are:
//   - config, events, metrics, gcfloor import no package of the module: support beside the root;
//   - wechatapi (and its fake) and wechatsim speak to WeChat as storage speaks to the database:
//     adapters, at storage's layer;
//   - quickreplies (agents' ready answers), followups (回访), calls (the call list), erasures
//     (erasure requests) and sandbox (the sandbox clock's move) are workflows, with their rules
//     and audit, beside users;
//   - flows/corpustest is what the corpus tests (flows, app) share;
//   - app/apptest is app's test harness; loadtest, loadtest/floor and soak are tools that start
//     whole services, like cmd.
//
// A new package must be placed here, or the test fails.
var layers = [][]string{
	{"", "config", "events", "metrics", "gcfloor", "keylock"},
	{"textnorm", "taxonomy", "calendar"},
	{"flows", "flows/corpustest"},
	{"storage", "storage/seed", "storage/storagetest", "wechatapi", "wechatapi/fakewechat", "wechatsim"},
	{"conversations", "cases", "handoffs", "users", "quickreplies", "followups", "calls", "erasures", "sandbox"},
	{"scheduler", "reports"},
	{"bot", "console"},
	{"app", "app/apptest"},
	{"cmd/complaintbot", "loadtest", "loadtest/floor", "soak"},
}

// peers are the imports allowed within one layer between different packages (the design puts
// them side by side): taxonomy reads the customer's words normalised as textnorm does; the
// conversation service registers a confirmed complaint through the case workflow's registry,
// which also registers an agent's (one rule for both).
var peers = map[string][]string{
	"taxonomy":      {"textnorm"},
	"conversations": {"cases"},
}

// dbPrefixes are the import paths of a database (rule 1).
var dbPrefixes = []string{"go.mongodb.org/", "github.com/FerretDB/", "modernc.org/", "database/sql"}

// ioPackages are the standard library's I/O packages (rule 2); a path matches itself and what is
// below it. crypto/rand (the root's random tokens) is not I/O in this sense.
var ioPackages = []string{"net", "os", "database", "io/fs", "io/ioutil", "syscall", "path/filepath", "plugin", "crypto/tls"}

// customerPath are the packages whose code can reach what the customer reads (rule 4): the domain
// types every path passes along, the webhook, the conversation service, the case and handoff
// workflows with their notices, the agents' ready answers, the scheduler's notices and surveys,
// sending through WeChat, and the app that wires them.
var customerPath = []string{"", "quickreplies", "bot", "conversations", "cases", "handoffs", "scheduler", "wechatapi", "wechatapi/fakewechat", "app", "app/apptest"}

// staffNote is why a declaration's Chinese text is for staff only, and that text: each literal
// with a Han character, as written (the value, not the quoting). A new literal in the declaration
// fails the test until it is listed here, so each is looked at.
type staffNote struct {
	why   string
	texts []string
}

// staffText are the declarations on the customer's path whose Chinese text only staff read, as
// "package/file declaration" (a method as Type.Method; the root's files without a package).
var staffText = map[string]staffNote{
	"actor.go System": {"the display name of the service's own actions on the timeline and the audit trail (staff pages)",
		[]string{"系统"}},
	"actor.go CLI": {"the display name of the command line's actions on the audit trail",
		[]string{"命令行"}},
	"actor.go Customer": {"the display name of the customer's own actions (a withdrawal) on the case timeline",
		[]string{"客户本人"}},
	"case.go Kind.Label": {"the staff's names of the kinds (console, exports, audit); customers read the flow file's kinds: names",
		[]string{"建议", "表扬", "投诉"}},
	"case.go Status.Label": {"the staff's names of the statuses (console, exports, audit); customers read the flow file's statuses:",
		[]string{"已受理", "调查处理中", "已提交总行处理", "已处理完毕", "已办结", "重新处理中", "已撤回"}},
	"case.go ReferralAuthorityLabel": {"the console's and exports' names of the regulators that forward cases",
		[]string{"人民银行", "金融监管", "12378 转办"}},
	"case.go ReceivedLabel": {"the console's and exports' names of the receiving channels",
		[]string{"微信公众号", "电话", "柜面", "信函", "电子邮件", "监管转办"}},
	"case.go LevelLabel": {"the console's and exports' names of the case levels",
		[]string{"普通", "复杂", "重大"}},
	"case.go RiskLabel": {"the console's and the staff robot's names of the risk reasons",
		[]string{"客户提及升级投诉", "重复投诉", "人工标记", "资金风险"}},
	"case.go UrgentLabel": {"the console's names of the urgent money matters (the customer's warning is in the flow file)",
		[]string{"银行卡被吞", "银行卡丢失", "资金被盗用", "电信诈骗", "转错账"}},
	"quickreply.go QuickReplyCase,QuickReplyAgent": {"the placeholders agents type in their ready answers, filled in before a customer reads one",
		[]string{"{案件编号}", "{坐席}"}},
	"user.go Role.Label": {"the console's names of the staff roles",
		[]string{"坐席", "主管", "管理员"}},
	"cases/actions.go Audit": {"the audit trail's action names, shown in the console",
		[]string{"受理案件", "指派承办人", "设置处理部门", "添加内部备注", "变更案件状态", "延长处理期限", "恶意投诉标记", "办结答复", "发送满意度调查", "导出案件"}},
	"cases/actions.go Service.Accept": {"the case timeline's entries (the console's case page)",
		[]string{"受理案件", "承办人："}},
	"cases/actions.go Service.Assign": {"the case timeline's entries (the console's case page)",
		[]string{"（无）", "承办人："}},
	"cases/actions.go Service.SetDepartments": {"the case timeline's entries (the console's case page)",
		[]string{"责任部门：%s；主办部门：%s；协办部门：%s"}},
	"cases/actions.go orNone": {"the audit trail's before/after (the console's audit page)",
		[]string{"（无）"}},
	"cases/coding.go init": {"the audit trail's action name for a coding change",
		[]string{"JR/T 0169 编码"}},
	"cases/coding.go Uncoded": {"the console's and exports' mark of an axis not coded",
		[]string{"未编码"}},
	"cases/coding.go CodingText": {"the case timeline's entry for a coding change",
		[]string{"编码 "}},
	"cases/ladder.go init": {"the audit trail's action names of the extension ladder",
		[]string{"申请延期审批", "批准延期", "驳回延期申请"}},
	"cases/ladder.go Service.ApproveExtension": {"the case timeline's entry for an approval",
		[]string{"批准延期申请"}},
	"cases/register.go init": {"the audit trail's action name for an agent's registration",
		[]string{"登记投诉"}},
	"cases/register.go Registrar.Register": {"the case timeline's entry for an agent's registration",
		[]string{" %s %s 回复期限 %s"}},
	"cases/review.go init": {"the audit trail's action names of a review",
		[]string{"申请核查", "核查结果"}},
	"cases/review.go Service.requestReview": {"the case timeline's entry for a review request (the customer's notice is in the flow file)",
		[]string{"申请核查（核查编号 %s，答复期限 %s）"}},
	"cases/risk.go init": {"the audit trail's action names of levels and risk flags",
		[]string{"设置案件等级", "风险提示标记"}},
	"cases/risk.go repeatNote": {"the risk flag's reason, shown to staff on the case page and the robot",
		[]string{"%d天内第%d次投诉"}},
	"cases/withdraw.go CustomerWithdrawReason": {"the withdrawal's reason on the case timeline (the customer's notice is in the flow file)",
		[]string{"客户在微信中确认撤回"}},
	"cases/withdraw.go init": {"the audit trail's action name for a withdrawal",
		[]string{"撤回案件"}},
	"scheduler/deadlines.go Scheduler.postRobot": {"the deadline reminder posted to the staff's WeCom group robot",
		[]string{"答复期限", "办结期限", "核查答复期限", "【投诉处理提醒】案件 %s（%s）%s为%s，即将到期，请及时处理。", "【投诉处理超期】案件 %s（%s）已超过%s（%s）", "，已提交总行处理", " 经办人："}},
	"scheduler/outbox.go OutboxWorker.sent": {"the transcript's mark of a template message (the console's transcript)",
		[]string{"[模板消息] "}},
	"scheduler/risk.go riskText": {"the risk alert posted to the staff's WeCom group robot",
		[]string{"【投诉风险提示】案件 %s（%s）%s，请网点主管立即关注。", " 经办人："}},
}

type goPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Imports    []string
	Standard   bool
	Error      *struct{ Err string }
}

// packages lists the module's packages with `go list -json ./...`.
func packages(t *testing.T) []goPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []goPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Error != nil {
			t.Errorf("go list %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

// rel returns a package path of the module below the module ("" the root), ok false for others.
func rel(path string) (string, bool) {
	if path == module {
		return "", true
	}
	r, ok := strings.CutPrefix(path, module+"/")
	return r, ok
}

func name(r string) string {
	if r == "" {
		return "the root"
	}
	return r
}

func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// tree is the top of a package's tree: storage for storage/seed.
func tree(r string) string {
	top, _, _ := strings.Cut(r, "/")
	return top
}

// Rule 1: only storage imports a database.
func TestOnlyStorageImportsADatabase(t *testing.T) {
	for _, p := range packages(t) {
		r, _ := rel(p.ImportPath)
		if under(r, "storage") {
			continue
		}
		for _, imp := range p.Imports {
			for _, db := range dbPrefixes {
				if strings.HasPrefix(imp, db) {
					t.Errorf("%s imports %s: only storage speaks to the database", name(r), imp)
				}
			}
		}
	}
}

// thirdPartyIO are the I/O imports of packages from outside the module that the root or flows
// reach (rule 2), each with why no I/O happens on the way the module uses the package. A new
// dependency that imports I/O fails the test until it is looked at and listed here.
var thirdPartyIO = map[string]string{
	"github.com/longbridgeapp/opencc os": "reads $GOPATH only for a default dictionary folder (-dir) that textnorm never uses: its dictionaries come from its embed.FS",
	"github.com/liuzl/da os":             "opens files only in BuildFromFile, Load and Save; opencc builds its dictionaries from readers (da.Build)",
	"github.com/liuzl/da path/filepath":  "joins the paths of Load and Save, which opencc does not call",
	"github.com/liuzl/cedar-go os":       "opens files only in its LoadFromFile and SaveToFile, which da calls only from Load and Save",
}

// Rule 2: the root and flows, and every package they import (of the module or not, the standard
// library aside), do no I/O.
func TestTheDomainAndTheFlowsDoNoIO(t *testing.T) {
	cmd := exec.Command("go", "list", "-e", "-json", "-deps", module, module+"/flows")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, stderr.String())
	}
	byPath := map[string]goPackage{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		byPath[p.ImportPath] = p
	}
	seen := map[string]string{} // package → the pure package that needs it pure
	var visit func(path, why string)
	visit = func(path, why string) {
		if _, ok := seen[path]; ok {
			return
		}
		seen[path] = why
		for _, imp := range byPath[path].Imports {
			if p, ok := byPath[imp]; ok && !p.Standard {
				visit(imp, why)
			}
		}
	}
	visit(module, "the root")
	visit(module+"/flows", "flows")
	if len(seen) < 5 {
		t.Fatalf("go list -deps found only %d packages below the root and flows", len(seen))
	}
	used := map[string]bool{}
	for path, why := range seen {
		r, ours := rel(path)
		if !ours {
			r = path
		}
		for _, imp := range byPath[path].Imports {
			for _, io := range ioPackages {
				if !under(imp, io) {
					continue
				}
				if _, ok := thirdPartyIO[path+" "+imp]; ok && !ours {
					used[path+" "+imp] = true
					continue
				}
				t.Errorf("%s imports %s, but %s does no I/O (and so nothing it imports does)", name(r), imp, why)
			}
		}
	}
	for k := range thirdPartyIO {
		if !used[k] {
			t.Errorf("thirdPartyIO lists %q, which the root and flows no longer reach: remove it", k)
		}
	}
}

// Rule 3: no package imports one above it.
func TestNoPackageImportsOneAboveIt(t *testing.T) {
	layer := map[string]int{}
	for i, l := range layers {
		for _, p := range l {
			layer[p] = i
		}
	}
	for _, p := range packages(t) {
		r, _ := rel(p.ImportPath)
		from, ok := layer[r]
		if !ok {
			t.Errorf("%s has no layer: place it in layers (house_test.go) where design.md §2 puts it", name(r))
			continue
		}
		for _, imp := range p.Imports {
			ir, ok := rel(imp)
			if !ok {
				continue
			}
			to, known := layer[ir]
			switch {
			case !known:
				continue // reported as a package of its own
			case to < from, tree(ir) == tree(r) && ir != "" && r != "", slices.Contains(peers[r], ir):
				continue
			case to == from:
				t.Errorf("%s imports %s, its peer (layer %d): peers do not import each other", name(r), name(ir), from)
			default:
				t.Errorf("%s (layer %d) imports %s (layer %d), which is above it", name(r), from, name(ir), to)
			}
		}
	}
}

// Rule 4: no customer-facing Chinese in Go on the customer's path.
func TestNoCustomerTextInGo(t *testing.T) {
	used := map[string]map[string]bool{}
	for _, p := range packages(t) {
		r, _ := rel(p.ImportPath)
		if !slices.Contains(customerPath, r) {
			continue
		}
		for _, f := range p.GoFiles {
			fset := token.NewFileSet()
			file, err := parser.ParseFile(fset, filepath.Join(p.Dir, f), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range file.Decls {
				key := path.Join(r, f) + " " + declName(d)
				ast.Inspect(d, func(n ast.Node) bool {
					lit, ok := n.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING || strings.IndexFunc(lit.Value, isHan) < 0 {
						return true
					}
					text, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatalf("%s: %v", fset.Position(lit.Pos()), err)
					}
					if note, staff := staffText[key]; staff && slices.Contains(note.texts, text) {
						if used[key] == nil {
							used[key] = map[string]bool{}
						}
						used[key][text] = true
						return true
					}
					t.Errorf("%s: Chinese text %s in %s: what the customer reads belongs in the flow file (flows/default.yaml); "+
						"text only staff read is listed in staffText (house_test.go) with why", fset.Position(lit.Pos()), lit.Value, declName(d))
					return true
				})
			}
		}
	}
	keys := slices.Sorted(maps.Keys(staffText))
	for _, k := range keys {
		for _, text := range staffText[k].texts {
			if !used[k][text] {
				t.Errorf("staffText lists %q in %s, which it does not hold (any more): remove it", text, k)
			}
		}
	}
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// declName names a top-level declaration: a function, Type.Method, or the names a var, const or
// type declaration declares.
func declName(d ast.Decl) string {
	switch d := d.(type) {
	case *ast.FuncDecl:
		if d.Recv != nil && len(d.Recv.List) > 0 {
			t := d.Recv.List[0].Type
			if s, ok := t.(*ast.StarExpr); ok {
				t = s.X
			}
			if g, ok := t.(*ast.IndexExpr); ok {
				t = g.X
			}
			if id, ok := t.(*ast.Ident); ok {
				return id.Name + "." + d.Name.Name
			}
		}
		return d.Name.Name
	case *ast.GenDecl:
		var names []string
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.ValueSpec:
				for _, n := range s.Names {
					names = append(names, n.Name)
				}
			case *ast.TypeSpec:
				names = append(names, s.Name.Name)
			}
		}
		return strings.Join(names, ",")
	}
	return fmt.Sprintf("%T", d)
}
