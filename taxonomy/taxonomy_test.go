package taxonomy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func mustLoad(t *testing.T) *Taxonomy {
	t.Helper()
	tx, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return tx
}

// The three axes as ../shared/design.md §8 lists them (the standard's names and order from public
// copies), written with parentheses for the levels below.
var designTree = map[Axis]string{
	Channel: "前台业务渠道 (营业现场, 自助机具, 电子渠道 (网银, 电话, 移动客户端, 网络公众平台, 短信, 其他), 第三方渠道, 其他); " +
		"中、后台业务渠道",
	Business: "人民币储蓄; 贷款 (个人住房, 汽车消费, 教育助学, 其他消费, 个人生产经营性, 其他); " +
		"银行卡 (借记卡 (账户管理, 收费及挂失, 使用, 市场活动及增值服务, 盗刷, 其他), " +
		"信用卡 (申请开卡换卡, 使用和还款, 账单服务, 市场活动积分增值, 挂失注销, 盗刷, 个人信用信息, 其他), 准贷记卡等); " +
		"自营理财; 支付结算 (账户管理, 资金汇划, 票据, 联网核查, 电子支付, 非银行支付机构网络支付, 汇兑, 多用途预付费卡, 其他); " +
		"人民币管理 (残损污损币兑换, 假币鉴定与收缴, 小面额兑换, 纪念币, 其他); " +
		"外汇 (结售汇, 汇款, 交易, 储蓄, 账户管理, 其他); 贵金属 (自营实物, 自营账户, 代理交易, 其他); " +
		"个人金融信息 (信用信息采集, 使用, 异议处理, 其他信息收集使用, 其他); " +
		"银行代理业务 (保险, 证券, 期货, 信托, 基金, 他行, 其他); 其他中间业务 (资信证明, 保险箱, 代收代付, 其他); " +
		"债务催收 (信用卡, 贷款, 其他); 国库 (国债, 税收与行政事业性收费, 资金拨付, 其他); " +
		"其他 (功能类业务, 其他银行业务, 呼叫服务, 其他)",
	Reason: "服务态度及服务质量; 服务设施、设备、业务系统; 管理制度、业务规则与流程; 营销方式和手段; 信息披露; 自主选择权; " +
		"定价收费; 产品收益; 合同条款; 消费者资金安全; 消费者信息安全; 债务催收方式和手段; 其他",
}

func render(nodes []Node, sep string) string {
	parts := make([]string, len(nodes))
	for i, n := range nodes {
		parts[i] = n.Name
		if len(n.Children) > 0 {
			parts[i] += " (" + render(n.Children, ", ") + ")"
		}
	}
	return strings.Join(parts, sep)
}

func walk(nodes []Node, f func(n Node, siblings int, index int)) {
	for i, n := range nodes {
		f(n, len(nodes), i)
		walk(n.Children, f)
	}
}

func TestTreeIsTheStandardsNamesInItsOrder(t *testing.T) {
	tx := mustLoad(t)
	for _, a := range Axes() {
		if got := render(tx.Axis(a), "; "); got != designTree[a] {
			t.Errorf("axis %s:\n got %s\nwant %s", a, got, designTree[a])
		}
	}
	for a, want := range map[Axis]string{Channel: "业务办理渠道", Business: "业务类别", Reason: "投诉原因"} {
		if got := tx.AxisName(a); got != want {
			t.Errorf("AxisName(%s) = %q, want %q", a, got, want)
		}
	}
}

func TestTreeCounts(t *testing.T) {
	tx := mustLoad(t)
	want := map[Axis][2]int{Channel: {13, 11}, Business: {88, 74}, Reason: {13, 13}} // nodes, leaves
	for _, a := range Axes() {
		nodes, leaves := 0, 0
		walk(tx.Axis(a), func(n Node, _, _ int) {
			nodes++
			if n.Leaf {
				leaves++
			}
		})
		if got := [2]int{nodes, leaves}; got != want[a] {
			t.Errorf("axis %s: %d nodes, %d leaves; want %v", a, nodes, leaves, want[a])
		}
		if got := len(tx.Leaves(a)); got != want[a][1] {
			t.Errorf("axis %s: Leaves has %d, want %d", a, got, want[a][1])
		}
	}
}

// Every code is its parent's code plus its place among its siblings in the standard's order (two
// digits at the large and middle levels, one at the small level); 其他 is 99 / 9; codes are unique.
func TestCodesFollowTheNumberingScheme(t *testing.T) {
	tx := mustLoad(t)
	seen := map[string]bool{}
	others := 0
	for _, a := range Axes() {
		walk(tx.Axis(a), func(n Node, _ int, i int) {
			if seen[n.Code] {
				t.Errorf("code %s appears twice", n.Code)
			}
			seen[n.Code] = true
			prefix := string(a)
			if n.Parent != "" {
				prefix = n.Parent
			}
			place, other := fmt.Sprintf("%02d", i+1), "99"
			if n.Level == Small {
				place, other = fmt.Sprintf("%d", i+1), "9"
			}
			want := prefix + place
			if n.Name == OtherName {
				want = prefix + other
				others++
				if !n.Other {
					t.Errorf("%s %s not marked Other", n.Code, n.Name)
				}
			}
			if n.Code != want {
				t.Errorf("%s %s (level %d, item %d under %q): want code %s", n.Code, n.Name, n.Level, i+1, prefix, want)
			}
			if n.Axis != a {
				t.Errorf("%s: axis %s, want %s", n.Code, n.Axis, a)
			}
			if n.Leaf != (len(n.Children) == 0) {
				t.Errorf("%s: leaf %v with %d children", n.Code, n.Leaf, len(n.Children))
			}
		})
	}
	if others != 17 {
		t.Errorf("%d items named 其他, want 17", others)
	}
	for code, name := range map[string]string{"A0199": "其他", "A01039": "其他", "B99": "其他", "B9999": "其他", "B03029": "其他",
		"B03019": "其他", "C99": "其他", "B0299": "其他", "C12": "债务催收方式和手段", "B03026": "盗刷", "B0303": "准贷记卡等"} {
		if n, ok := tx.Lookup(code); !ok || n.Name != name {
			t.Errorf("Lookup(%s) = %q %v, want %q", code, n.Name, ok, name)
		}
	}
}

// Every leaf is reachable from the top of its axis, and the leaves are exactly the codes a case may
// carry on that axis.
func TestEveryLeafIsReachableAndValid(t *testing.T) {
	tx := mustLoad(t)
	for _, a := range Axes() {
		inTree := map[string]bool{}
		walk(tx.Axis(a), func(n Node, _, _ int) {
			if n.Leaf {
				inTree[n.Code] = true
			} else if tx.Valid(a, n.Code) {
				t.Errorf("Valid(%s, %s %s): an inner node must not be valid", a, n.Code, n.Name)
			}
		})
		for _, leaf := range tx.Leaves(a) {
			if !inTree[leaf.Code] {
				t.Errorf("leaf %s not reachable from the top of axis %s", leaf.Code, a)
			}
			path := tx.Path(leaf.Code)
			if len(path) == 0 || path[0].Level != Large || path[len(path)-1].Code != leaf.Code || len(path) != int(leaf.Level) {
				t.Errorf("Path(%s) = %v", leaf.Code, path)
			}
			if !tx.Valid(a, leaf.Code) {
				t.Errorf("Valid(%s, %s) = false", a, leaf.Code)
			}
			for _, other := range Axes() {
				if other != a && tx.Valid(other, leaf.Code) {
					t.Errorf("Valid(%s, %s) = true on the wrong axis", other, leaf.Code)
				}
			}
			delete(inTree, leaf.Code)
		}
		if len(inTree) != 0 {
			t.Errorf("axis %s: leaves missing from Leaves: %v", a, inTree)
		}
	}
}

func TestOfficialAccountIsTheReceivingChannel(t *testing.T) {
	tx := mustLoad(t)
	if got := tx.Names(OfficialAccountChannel, " › "); got != "前台业务渠道 › 电子渠道 › 网络公众平台" {
		t.Errorf("OfficialAccountChannel %s is %q", OfficialAccountChannel, got)
	}
	if !tx.Valid(Channel, OfficialAccountChannel) {
		t.Errorf("OfficialAccountChannel is not a leaf of A")
	}
}

func TestLookupPathLabel(t *testing.T) {
	tx := mustLoad(t)
	var names []string
	for _, n := range tx.Path("B03026") {
		names = append(names, n.Name)
	}
	if got := strings.Join(names, " › "); got != "银行卡 › 信用卡 › 盗刷" {
		t.Errorf("Path(B03026) = %q", got)
	}
	if got := tx.Names("B03026", " › "); got != "银行卡 › 信用卡 › 盗刷" {
		t.Errorf("Names(B03026) = %q", got)
	}
	for code, want := range map[string]string{
		"B03026": "B03026 银行卡/信用卡/盗刷",
		"A0101":  "A0101 前台业务渠道/营业现场",
		"A02":    "A02 中、后台业务渠道",
		"C10":    "C10 消费者资金安全",
		"C99":    "C99 其他",
		"B9903":  "B9903 其他/呼叫服务",
		"A03":    "A03", // a code of the old flow file: shown as it is
		"":       "",
	} {
		if got := tx.Label(code); got != want {
			t.Errorf("Label(%q) = %q, want %q", code, got, want)
		}
	}

	n, ok := tx.Lookup("B0302")
	if !ok || n.Name != "信用卡" || n.Leaf || n.Level != Middle || n.Parent != "B03" || len(n.Children) != 8 {
		t.Fatalf("Lookup(B0302) = %+v, %v", n, ok)
	}
	if n.Children[5].Code != "B03026" || n.Children[7].Code != "B03029" || !n.Children[7].Other {
		t.Errorf("B0302 children: %+v", n.Children)
	}
	// What Lookup returns is a copy.
	n.Children[5].Name = "changed"
	n.Words[0] = "changed"
	if again, _ := tx.Lookup("B03026"); again.Name != "盗刷" {
		t.Errorf("changing a returned node changed the taxonomy: %q", again.Name)
	}
	if again, _ := tx.Lookup("B0302"); again.Words[0] == "changed" {
		t.Errorf("changing a returned node's words changed the taxonomy")
	}
	if _, ok := tx.Lookup("B0399"); ok {
		t.Errorf("Lookup(B0399) found a code the tree does not have")
	}
	if tx.Path("nope") != nil || tx.Axis("D") != nil || tx.Leaves("D") != nil || tx.AxisName("D") != "" {
		t.Errorf("unknown code or axis answered something")
	}
	if tx.Other(Reason) != "C99" || tx.Other(Channel) != "" || tx.Other(Business) != "" {
		t.Errorf("Other: %q %q %q", tx.Other(Channel), tx.Other(Business), tx.Other(Reason))
	}
}

// Every category of the flow file proposes a reason, so no case of a category falls to C99 unless
// its category is 其他.
func TestEveryFlowCategoryIsMapped(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "flows", "default.yaml"))
	if err != nil {
		t.Skipf("flow file not found: %v", err)
	}
	var flow struct {
		Categories map[string][]struct {
			Code string `yaml:"code"`
			Name string `yaml:"name"`
		} `yaml:"categories"`
	}
	if err := yaml.Unmarshal(data, &flow); err != nil {
		t.Fatalf("flow file: %v", err)
	}
	tx := mustLoad(t)
	n := 0
	for kind, cats := range flow.Categories {
		for _, c := range cats {
			n++
			code, ok := tx.CategoryReason(c.Code)
			if !ok {
				t.Errorf("flow category %s/%s (%s) has no reason in jrt0169.yaml categories:", kind, c.Code, c.Name)
				continue
			}
			if (code == "C99") != (c.Name == "其他") {
				t.Errorf("flow category %s (%s) → %s", c.Code, c.Name, tx.Label(code))
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d flow categories read", n)
	}
	for cat, want := range map[string]string{"attitude": "C01", "facility": "C02", "fees": "C07", "s-fees": "C07", "choice": "C06",
		"contract": "C09", "funds": "C10", "privacy": "C11", "other": "C99"} {
		if got, _ := tx.CategoryReason(cat); got != want {
			t.Errorf("category %s → %s, want %s", cat, got, want)
		}
	}
}

// An operator's edit that breaks the standard's scheme is refused with a message that says where.
func TestParseRefusesBrokenFiles(t *testing.T) {
	base := string(defaultFile)
	if _, err := Parse(defaultFile); err != nil {
		t.Fatalf("Parse(embedded): %v", err)
	}
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"other not 99", "{code: A0199, name: 其他", "{code: A0198, name: 其他", "其他 is numbered 99"},
		{"99 not other", "{code: C99, name: 其他", "{code: C99, name: 别的", "only 其他 is"},
		{"small other not 9", "{code: B03029, name: 其他", "{code: B03028, name: 其他", "numbered 9"},
		{"out of order", "{code: C02, name: 服务设施", "{code: C13, name: 服务设施", "must increase"},
		{"wrong parent", "{code: B03026, name: 盗刷", "{code: B03016, name: 盗刷", "must be B0302 followed by 1 digit"},
		{"wrong length", "{code: C05, name: 信息披露", "{code: C005, name: 信息披露", "followed by 2 digit"},
		{"duplicate", "{code: B0303, name: 准贷记卡等", "{code: B0302, name: 准贷记卡等", "appears twice"},
		{"leaf not marked", "{code: C01, name: 服务态度及服务质量, leaf: true,", "{code: C01, name: 服务态度及服务质量,", "leaf must be true"},
		{"inner marked leaf", "        name: 借记卡\n", "        name: 借记卡\n            leaf: true\n", "leaf must be true"},
		{"typo in a key", "{code: C03, name: 管理制度、业务规则与流程, leaf: true, words:", "{code: C03, name: 管理制度、业务规则与流程, leaf: true, word:", "field word not found"},
		{"category to a non-leaf", "  attitude: C01", "  attitude: B03", "categories.attitude"},
		{"category to nothing", "  fees: C07", "  fees: C06x", "categories.fees"},
		{"official account renamed", "name: 网络公众平台", "name: 公众号", "A01034 must be the leaf"},
		{"empty word", "words: [短信]", "words: [短信, \"！\"]", "empty once normalised"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(base, tc.old) {
				t.Fatalf("the data file no longer holds %q", tc.old)
			}
			_, err := Parse([]byte(strings.Replace(base, tc.old, tc.new, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse = %v, want an error with %q", err, tc.want)
			}
		})
	}
	if _, err := Parse(nil); err == nil {
		t.Errorf("Parse(nil) accepted")
	}
	if _, err := Parse([]byte("axes: [{axis: A, name: 渠道, nodes: [{code: A01, name: x, leaf: true}]}]")); err == nil {
		t.Errorf("a file with one axis was accepted")
	}
}

// The warning the data file must carry, in both languages, at its top.
func TestDataFileCarriesTheWarning(t *testing.T) {
	top := string(defaultFile)
	top = top[:strings.Index(top, "axes:")]
	for _, want := range []string{"首次向监管报送投诉统计数据之前，必须对照已发布的标准文本逐条核对编码和名称",
		"Check every code and name against the published standard before the first",
		"numbered in the standard's order from public copies"} {
		if !strings.Contains(strings.Join(strings.Fields(strings.ReplaceAll(top, "#", "")), " "), want) {
			t.Errorf("the top of jrt0169.yaml does not say %q", want)
		}
	}
}
