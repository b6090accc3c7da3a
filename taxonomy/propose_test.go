package taxonomy

import "testing"

// What the bot proposes for customers' own sentences (many from the flow corpus), with the category
// the conversation gave them. An empty A or B is left to the agent: the words do not point to one
// code.
var proposals = []struct {
	category, text string
	want           Coding
}{
	// The brief's examples.
	{"funds", "信用卡被盗刷了5600元", Coding{Channel: "", Business: "B03026", Reason: "C10"}},
	{"attitude", "柜员态度差", Coding{Channel: "A0101", Business: "", Reason: "C01"}},

	// At the counter.
	{"attitude", "城东支行的柜员态度太差了，昨天下午三点去办存款，让我等了一个多小时还爱答不理的", Coding{Channel: "A0101", Business: "B01", Reason: "C01"}},
	{"attitude", "在柜台办理挂失，柜员让我等了一个小时", Coding{Channel: "A0101", Business: "", Reason: "C01"}}, // 借记卡 or 信用卡 挂失?
	{"contract", "我上周在城东新区支行存了一年定期，柜员说的利率和合同上写的不一样", Coding{Channel: "A0101", Business: "B01", Reason: "C09"}},
	{"marketing", "去存钱，大堂经理非拉着我办信用卡，说不办就不给取号", Coding{Channel: "A0101", Business: "B03021", Reason: "C04"}},
	{"process", "网点不给换残币，说破损太严重", Coding{Channel: "A0101", Business: "B0601", Reason: "C03"}},
	{"other", "柜员说我存的钱里有一张假币，直接没收了也不给我开收缴凭证", Coding{Channel: "A0101", Business: "B0602", Reason: "C99"}},
	{"process", "想换点零钱发红包，跑了三个网点都说没有", Coding{Channel: "A0101", Business: "B0603", Reason: "C03"}},
	{"facility", "去网点缴税，柜员说系统升级办不了", Coding{Channel: "A0101", Business: "B1302", Reason: "C02"}},
	{"", "营业部今天上午九点开门就去了，排了两个多小时，窗口只开了两个", Coding{Channel: "A0101", Business: "", Reason: "C99"}},
	{"", "柜员办业务的时候一直在玩手机，叫了好几遍才理我", Coding{Channel: "A0101", Business: "", Reason: "C01"}}, // no category: the words say 服务态度
	{"", "你好，我想投訴城東支行的職員，昨日下午三點我去開戶，佢哋話我資料唔齊", Coding{Channel: "A0101", Business: "B0501", Reason: "C03"}},

	// Self-service machines: a longer word wins over the shorter one inside it.
	{"facility", "ＡＴＭ吞卡　城西支行　昨晚１１点", Coding{Channel: "A0102", Business: "B03013", Reason: "C02"}},
	{"facility", "城东新区支行，ATM存钱存进去没显示，钱也不吐出来", Coding{Channel: "A0102", Business: "B01", Reason: "C02"}},
	{"", "柜员机吞了我的卡，旁边也没人管", Coding{Channel: "A0102", Business: "", Reason: "C99"}},
	{"", "智能柜台上办不了业务", Coding{Channel: "A0102", Business: "", Reason: "C03"}},
	{"facility", "ATM取款机取钱没出钞但是卡里扣了钱", Coding{Channel: "A0102", Business: "B01", Reason: "C02"}},

	// Electronic channels.
	{"fees", "在手机银行上转账给我妈，被多扣了手续费，昨天晚上的事", Coding{Channel: "A01033", Business: "B0502", Reason: "C07"}},
	{"facility", "手机银行一直闪退，登录不了，转不了账", Coding{Channel: "A01033", Business: "", Reason: "C02"}},
	{"s-app", "提个建议，你们APP每次更新完都要重新登录，能不能记住密码", Coding{Channel: "A01033", Business: "", Reason: "C02"}},
	{"", "apple pay绑定不上", Coding{Channel: "", Business: "", Reason: "C99"}}, // "app" only as a whole word
	{"fees", "网银跨行转账手续费太贵了", Coding{Channel: "A01031", Business: "B0502", Reason: "C07"}},
	{"", "公众号上查不到我的投诉进度", Coding{Channel: "A01034", Business: "", Reason: "C99"}},
	{"facility", "微信银行绑定不了我的卡", Coding{Channel: "A01034", Business: "", Reason: "C02"}},
	{"attitude", "客服电话打了一上午都打不通，转人工一直排队", Coding{Channel: "A01032", Business: "B9903", Reason: "C01"}},
	{"process", "电话银行转人工要按十几个键", Coding{Channel: "A01032", Business: "B9903", Reason: "C03"}},
	{"marketing", "你们一天给我发五条理财广告短信，能不能别发了", Coding{Channel: "A01035", Business: "B04", Reason: "C04"}},
	{"fees", "开通短信提醒被收了年费，没人跟我说过要收费", Coding{Channel: "A01035", Business: "B03012", Reason: "C07"}},
	{"process", "想买电子式国债，网点说只能在手机银行买", Coding{Channel: "", Business: "B1301", Reason: "C03"}}, // 网点 or 手机银行: the agent says

	// Cards.
	{"", "我的卡被盗刷了", Coding{Channel: "", Business: "", Reason: "C10"}}, // debit or credit card: the agent says
	{"", "急！！！我的卡在外地被人刷了三千块，我人在本地", Coding{Channel: "", Business: "", Reason: "C10"}},
	{"funds", "储蓄卡被人盗刷了两万，我卡一直在身上", Coding{Channel: "", Business: "B03015", Reason: "C10"}},
	{"funds", "信用卡被盜刷了，櫃員態度也很差", Coding{Channel: "A0101", Business: "B03026", Reason: "C10"}}, // traditional characters
	{"fees", "借记卡挂失补卡收了我10块工本费", Coding{Channel: "", Business: "B03012", Reason: "C07"}},
	{"fees", "信用卡账单上多了一笔我没消费过的年费", Coding{Channel: "", Business: "B03023", Reason: "C07"}},
	{"other", "信用卡额度被无缘无故降了", Coding{Channel: "", Business: "B03022", Reason: "C99"}},
	{"", "信用卡积分兑换的礼品一直没发货", Coding{Channel: "", Business: "B03024", Reason: "C99"}},
	{"", "信用卡逾期了一天就上了征信", Coding{Channel: "", Business: "B03027", Reason: "C99"}},
	{"", "每个月扣我一块五的账户管理费，我卡里明明有钱", Coding{Channel: "", Business: "B03012", Reason: "C07"}},

	// Loans, collection, credit information.
	{"", "信用卡中心天天打电话催收，还打给我家人", Coding{Channel: "", Business: "B1201", Reason: "C12"}},
	{"", "房贷晚还了两天，催收的人打到我单位去了", Coding{Channel: "", Business: "B1202", Reason: "C12"}},
	{"marketing", "最近一个月天天有人打电话推销贷款", Coding{Channel: "", Business: "", Reason: "C04"}},
	{"choice", "在城东支行办房贷，非要我买他们的保险才给批，这不是强制搭售吗？", Coding{Channel: "", Business: "", Reason: "C06"}}, // 房贷 or 保险
	{"other", "我的征信报告上有一笔不是我办的贷款逾期记录，申请异议一个月了没人处理", Coding{Channel: "", Business: "B0903", Reason: "C99"}},
	{"", "有人冒用我的身份信息在你们银行查征信", Coding{Channel: "", Business: "B0902", Reason: "C11"}},
	{"privacy", "我只在你们城西支行办过贷款，最近天天接到贷款中介的电话，肯定是你们把我的个人信息泄露出去了", Coding{Channel: "", Business: "B0904", Reason: "C11"}},
	{"process", "我要投诉高新区支行，前天去开卡，说我材料不全不给办，来回跑了三趟", Coding{Channel: "", Business: "", Reason: "C03"}},

	// Wealth, insurance, foreign exchange, gold.
	{"disclosure", "去年在人民路支行买的理财，当时经理说保本，结果现在亏了八千", Coding{Channel: "", Business: "B04", Reason: "C05"}},
	{"", "理财产品说预期收益4%，到期只给了2%", Coding{Channel: "", Business: "B04", Reason: "C08"}},
	{"", "在你们银行买的分红险，退保要扣一大半", Coding{Channel: "", Business: "B1001", Reason: "C99"}},
	{"fees", "外币兑换的汇率比挂牌价差太多", Coding{Channel: "", Business: "B0701", Reason: "C07"}},
	{"", "给在国外读书的孩子境外汇款，一个星期了还没到账", Coding{Channel: "", Business: "B0702", Reason: "C99"}},
	{"", "买的黄金积存金提不出来实物", Coding{Channel: "", Business: "B0802", Reason: "C99"}},
	{"", "用微信支付付款显示成功了，商家说没收到钱", Coding{Channel: "", Business: "B0506", Reason: "C99"}},

	// Nothing the words can tell.
	{"", "城西支行门口的残疾人坡道被车堵了", Coding{Channel: "", Business: "", Reason: "C99"}},
	{"", "", Coding{Channel: "", Business: "", Reason: "C99"}},
	{"unknown-category", "你们银行还能不能行了？？？", Coding{Channel: "", Business: "", Reason: "C99"}},
}

func TestPropose(t *testing.T) {
	tx := mustLoad(t)
	if len(proposals) < 40 {
		t.Fatalf("only %d sentences", len(proposals))
	}
	for _, p := range proposals {
		got := tx.Propose(p.category, p.text)
		if got != p.want {
			t.Errorf("Propose(%q, %q)\n got %s | %s | %s\nwant %s | %s | %s", p.category, p.text,
				tx.Label(got.Channel), tx.Label(got.Business), tx.Label(got.Reason),
				tx.Label(p.want.Channel), tx.Label(p.want.Business), tx.Label(p.want.Reason))
		}
		// Whatever is proposed is a code a case may carry on its axis.
		for _, a := range Axes() {
			if code := got.Code(a); code != "" && !tx.Valid(a, code) {
				t.Errorf("Propose(%q): %s is not a leaf of %s", p.text, code, a)
			}
		}
		if got.Reason == "" {
			t.Errorf("Propose(%q): no reason", p.text)
		}
	}
}

// The category decides the reason over the words, except 其他, where the words decide.
func TestProposeCategoryAndWords(t *testing.T) {
	tx := mustLoad(t)
	text := "催收的人天天打电话到我单位"
	for cat, want := range map[string]string{"attitude": "C01", "other": "C12", "": "C12", "no-such-category": "C12"} {
		if got := tx.Propose(cat, text).Reason; got != want {
			t.Errorf("Propose(%q, %q).Reason = %s, want %s", cat, text, got, want)
		}
	}
	// Words on several reasons that tie give 其他.
	if got := tx.Propose("", "系统升级办不了").Reason; got != "C99" {
		t.Errorf("tie on C: %s, want C99", got)
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"ＡＴＭ 吞卡！":         "atm吞卡",
		"信用卡被盜刷了，櫃員態度差":   "信用卡被盗刷了柜员态度差",
		"Apple  Pay 😀 绑卡": "apple pay绑卡",
		"  ":              "",
	} {
		if got := normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkPropose(b *testing.B) {
	tx, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	text := "城东支行的柜员态度太差了，昨天下午三点去办存款，让我等了一个多小时还爱答不理的，信用卡也被盗刷了，希望给个说法"
	b.ReportAllocs()
	for b.Loop() {
		tx.Propose("attitude", text)
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}
