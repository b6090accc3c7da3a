package flows

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/complaintbot/complaintbot"
)

// understandingDef is the understanding section of the definition file: the word lists that let
// the engine read messages as customers really write them, and the texts that go with them. See
// default.yaml for the meaning of each key.
type understandingDef struct {
	Rewrite []rewriteDef `yaml:"rewrite"`
	Polite  []string     `yaml:"polite"`
	// Urging are words that hurry a confirmation ("是的 快点处理"): said with one at the read-back,
	// it is still a confirmation.
	Urging []string `yaml:"urging"`
	// Asking are the words said before a command ("我要找人工", "帮我转人工"): the message is still
	// the command.
	Asking          []string `yaml:"asking"`
	Closing         []string `yaml:"closing"`
	ClosingReply    string   `yaml:"closing_reply"`
	DontKnow        []string `yaml:"dont_know"`
	TimeWords       []string `yaml:"time_words"`
	LeaveQueue      []string `yaml:"leave_queue"`
	ProgressPhrases []string `yaml:"progress_phrases"`
	QuestionWords   []string `yaml:"question_words"`
	AskBot          []string `yaml:"ask_bot"`
	// InfoQuestions ask for information ("年费多少钱？"): such a question that tells no complaint is
	// answered as off the topic, not taken as a story.
	InfoQuestions []string `yaml:"info_questions"`
	RequestWords  []string `yaml:"request_words"`
	RequestShort  []string `yaml:"request_short"`
	// WishMarkers and RemedyVerbs make a wish by their form, whatever the words between: a marker
	// (把, 给我, 帮我) followed closely by a verb of remedy not put in the past ("把本金全额退给我们",
	// "按规定给我降下来", "帮我把卡拿出来").
	WishMarkers []string `yaml:"wish_markers"`
	RemedyVerbs []string `yaml:"remedy_verbs"`
	// RemedyEnds follow a verb of remedy to make a wish of it with no marker before ("全部退给我",
	// "把…" not needed): 给我, 回来.
	RemedyEnds     []string `yaml:"remedy_ends"`
	RequestMarkers []string `yaml:"request_markers"`
	StopWishes     []string `yaml:"stop_wishes"`
	// ProblemWords tell that something went wrong ("没收到", "多了一笔", "结果"): a story with one,
	// in no kind's words, is a complaint; without one ("我想办一张信用卡") the kind is asked.
	ProblemWords []string `yaml:"problem_words"`
	NotRequest   []string `yaml:"not_request"`
	// NotWish are words that hold a request word or a remedy verb but ask for nothing ("闪退",
	// "还打": also called): left out before a clause is read as a wish.
	NotWish []string `yaml:"not_wish"`
	// RequestNone are whole answers to the request question that ask for nothing in particular
	// ("随便", "你们看着办吧"): the request is stored as unstated, for the agent to ask.
	RequestNone     []string `yaml:"request_none"`
	NarrativeWords  []string `yaml:"narrative_words"`
	NarrativeSubj   []string `yaml:"narrative_subjects"`
	FutureWords     []string `yaml:"future_words"`
	PraiseDeeds     []string `yaml:"praise_deeds"`
	CorrectionWords []string `yaml:"correction_words"`
	// NotCorrection are phrases that hold a correction word but put nothing right ("要不是她",
	// "是不是"): left out before a message is read as a correction.
	NotCorrection []string `yaml:"not_correction"`
	// DiscoveryWords say the customer found something out ("才知道", "才发现"): at the request
	// question such a message goes on with the story, though it names what they meant to do.
	DiscoveryWords []string `yaml:"discovery_words"`
	// NotMarkers are words that hold a request marker but ask for nothing ("别的银行", "着想"):
	// left out before a message is read as a wish.
	NotMarkers    []string `yaml:"not_markers"`
	PieceDone     []string `yaml:"piece_done"`
	Filler        []string `yaml:"filler"`
	LeadIns       []string `yaml:"lead_ins"`
	PhoneRefusals []string `yaml:"phone_refusals"`
	// PhoneLeadIns are the words before a phone number given inside a story ("我电话138…"): they
	// leave the story with the number, which is kept as the phone, not as what happened.
	PhoneLeadIns []string `yaml:"phone_lead_ins"`
	// PhoneTails follow a phone number given first ("13822200017 这是我电话，…"): they leave too.
	PhoneTails    []string `yaml:"phone_tails"`
	Insults       []string `yaml:"insults"`
	EvidenceRefs  []string `yaml:"evidence_refs"`
	EvidencePoint []string `yaml:"evidence_pointers"`
	IntroStarts   []string `yaml:"intro_starts"`
	IntroWords    []string `yaml:"intro_words"`
	MetaWords     []string `yaml:"meta_words"`
	// NotUrgent are words that make a message's money-at-risk words someone else's suspicion, not
	// the customer's emergency ("卡被冻结了，说是涉嫌电信诈骗").
	NotUrgent []string `yaml:"not_urgent"`
	// MoneySent are words telling that the customer's money has gone already ("转到安全账户",
	// "转了八万"): the message is money at risk even with a not_urgent word ("说我涉嫌洗钱" is
	// the fraudster's script).
	MoneySent []string `yaml:"money_sent"`
	// TextChangeWords, after an answer's label at the read-back, say it is to change ("经过改一下：…").
	TextChangeWords []string `yaml:"text_change_words"`
	// TextAddWords, after a free-text answer's label at the read-back, say the text that follows is
	// to be added to it ("经过补充一下：…").
	TextAddWords  []string `yaml:"text_add_words"`
	FunctionChars string   `yaml:"function_chars"`
	FunctionWords []string `yaml:"function_words"`
	Judgments     []string `yaml:"judgments"`
	DegreeWords   []string `yaml:"degree_words"`
	ReferBack     []string `yaml:"refer_back"`
	// NotTimeWords are words whose characters would read as a time but are not one ("这周一直这样"
	// is no Monday): left out before a time is read.
	NotTimeWords []string `yaml:"not_time_words"`
	// HabitWords say that what follows happens again and again ("有时候晚上十点多还打"): an hour
	// after them in a story is not the hour of the event.
	HabitWords []string `yaml:"habit_words"`
	// DayWords, right after a bare "N号" in a story, make it a day of the month ("财务说15号就发了"),
	// where a bare number is more often a counter's or a queue ticket's.
	DayWords       []string            `yaml:"day_words"`
	RiskWords      []string            `yaml:"risk_words"`
	StoryContent   int                 `yaml:"story_content"`
	DescContent    int                 `yaml:"description_content"`
	KindNames      map[string][]string `yaml:"kind_names"`
	SwitchPrefixes []string            `yaml:"switch_prefixes"`
	SwitchFillers  []string            `yaml:"switch_fillers"`
	BranchSuffixes []string            `yaml:"branch_suffixes"`
	Negations      []string            `yaml:"negations"`
	PersonTitles   []string            `yaml:"person_titles"`
	// PersonWords describe someone without naming them ("小伙子", "戴眼镜", "短头发"): an answer
	// to the person question holding one says who, though the name is not known.
	PersonWords []string `yaml:"person_words"`
	// NamingPrefixes come before a name as it is written ("胸牌上写的汪静"): the name after one is
	// the person, over a surname alone said before it ("她姓汪").
	NamingPrefixes []string `yaml:"naming_prefixes"`
	// BranchWords are the words for a branch ("支行", "网点"): a branch's short name followed by one
	// names the branch ("新区那个网点"), a street of the same name does not ("在人民路那边").
	BranchWords []string `yaml:"branch_words"`
	// OpeningHoursWords right after a weekday make it opening hours, not a day something
	// happened ("周六到底开不开门", "写的周六9点到17点营业").
	OpeningHoursWords []string           `yaml:"opening_hours_words"`
	Surnames          string             `yaml:"surnames"`
	SummaryChars      int                `yaml:"summary_chars"`
	Messages          understandingTexts `yaml:"messages"`
}

// understandingTexts are the texts of the understanding section; all are required.
type understandingTexts struct {
	LeftQueue             string `yaml:"left_queue"`
	QueuedAfterHours      string `yaml:"queued_after_hours"`
	StillQueuedAfterHours string `yaml:"still_queued_after_hours"`
	MetaReply             string `yaml:"meta_reply"`
	DescriptionNeeded     string `yaml:"description_needed"`
	PieceMore             string `yaml:"piece_more"`
	AlreadyNoted          string `yaml:"already_noted"`
	// ReadbackSame answers, at the read-back, a message that says again what it shows.
	ReadbackSame string `yaml:"readback_same"`
	// RequestUnstated is the request stored when the customer, asked, only agrees ("对", "确认").
	RequestUnstated  string `yaml:"request_unstated"`
	StoryAdded       string `yaml:"story_added"`
	StoryCut         string `yaml:"story_cut"`
	KindSwitched     string `yaml:"kind_switched"`
	Corrected        string `yaml:"corrected"`
	Noted            string `yaml:"noted"`
	OffTopic         string `yaml:"off_topic"`
	FAQAfter         string `yaml:"faq_after"`
	ChoiceClosest    string `yaml:"choice_closest"`
	ChoiceNone       string `yaml:"choice_none"`
	ChoiceCandidates string `yaml:"choice_candidates"`
	ChoiceAgain      string `yaml:"choice_again"`
	// ChoiceWish answers a wish repeated at the category question ("我要投诉" again): the
	// question again in one line, its list being just above. {kind}.
	ChoiceWish string `yaml:"choice_wish"`
	// WhenLeftUnknown tells the customer the time is kept as unknown after two failed answers.
	WhenLeftUnknown string `yaml:"when_left_unknown"`
	// BranchLeftUnknown is the same for the branch.
	BranchLeftUnknown string `yaml:"branch_left_unknown"`
	WhenUnknown       string `yaml:"when_unknown"`
	BranchUnknown     string `yaml:"branch_unknown"`
	WhenSpan          string `yaml:"when_span"`
	ReadbackLong      string `yaml:"readback_long"`
}

// rewriteDef rewrites spellings before a message is read.
type rewriteDef struct {
	From []string `yaml:"from"`
	To   string   `yaml:"to"`
}

// faqDef is one answer to a question off the topic.
type faqDef struct {
	Words  []string `yaml:"words"`
	Answer string   `yaml:"answer"`
}

// urgentDef is one kind of money at risk.
type urgentDef struct {
	Code     string   `yaml:"code"`
	Words    []string `yaml:"words"`
	Category string   `yaml:"category"`
	Text     string   `yaml:"text"`
	// NoBranch: a story of this kind that names no branch concerns none (a card lost in the
	// street), so the branch is not asked.
	NoBranch bool `yaml:"no_branch"`
}

func (u *understandingDef) empty() bool { return reflect.ValueOf(*u).IsZero() }

// words is a list of matching keys (see key), longest first, so that the first hit is the
// longest.
type words []string

func newWords(ws ...[]string) words {
	var out words
	for _, list := range ws {
		for _, w := range list {
			if k := key(w); k != "" && !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// in reports whether a matching key contains one of the words.
func (w words) in(k string) bool { return w.find(k) >= 0 }

// find returns the byte offset of the first (longest) word found in k, or -1.
func (w words) find(k string) int {
	for _, x := range w {
		if i := strings.Index(k, x); i >= 0 {
			return i
		}
	}
	return -1
}

// is reports whether k is one of the words.
func (w words) is(k string) bool { return slices.Contains(w, k) }

// startsOf reports whether k begins with one of the words.
func (w words) startsOf(k string) bool {
	return slices.ContainsFunc(w, func(x string) bool { return strings.HasPrefix(k, x) })
}

// strip removes every occurrence of the words from k.
func (w words) strip(k string) string {
	for _, x := range w {
		k = strings.ReplaceAll(k, x, " ")
	}
	return k
}

// remove deletes every occurrence of the words from k, joining what is around them.
func (w words) remove(k string) string {
	for _, x := range w {
		k = strings.ReplaceAll(k, x, "")
	}
	return k
}

// only reports whether k is made of the words alone, one after the other ("对的没问题提交吧",
// "谢谢你们" as 谢谢 and 你们 though 谢谢你 is a word too).
func only(k string, lists ...words) bool {
	if k == "" {
		return false
	}
	reach := make([]bool, len(k)+1) // reach[i]: k[:i] is made of the words
	reach[0] = true
	for i := 0; i < len(k); i++ {
		if !reach[i] {
			continue
		}
		for _, l := range lists {
			for _, x := range l {
				if x != "" && strings.HasPrefix(k[i:], x) {
					reach[i+len(x)] = true
				}
			}
		}
	}
	return reach[len(k)]
}

// onlyWith reports whether k is made of main's words and those of the other lists (polite ones,
// say), with at least one of main's.
func onlyWith(k string, main words, others ...words) bool {
	return only(k, append([]words{main}, others...)...) && main.in(k)
}

// understanding is the compiled understanding section.
type understanding struct {
	asciiRewrite      *regexp.Regexp
	asciiTo           map[string]string
	otherRewrite      *strings.Replacer
	polite            words
	urging            words
	asking            words
	closing           words
	confirm           words
	dontKnow          words
	timeWords         words
	leaveQueue        words
	progress          words
	question          words
	askBot            words
	infoQuestions     words
	request           words
	requestShort      words
	wishMarkers       words
	remedyVerbs       words
	remedyEnds        words
	requestMarkers    words
	stopWishes        words // "别发了": a wish that something stop is a complaint, not a suggestion
	problem           words
	complaintStory    words
	praiseStory       words
	suggestStory      words
	notRequest        words
	notWish           words
	requestNone       words
	narrative         words
	narrativeSubj     words
	future            words
	praiseDeeds       words
	switchFillers     []string // with "" first: no filler
	branchSuffixes    []string
	correction        words
	notCorrection     words // "要不是她": no correction
	discovery         words // "才知道": more of the story
	notMarker         words // "别的": no wish
	pieceDone         words
	noContent         words    // filler and insults
	leadIns           words    // "是这样的", "我跟你说啊": said before a story, not part of it
	phoneRefusals     words    // "不留电话", "没手机号": the optional phone declined at another question
	phoneLeadIns      []string // as written, longest first
	phoneTails        []string // as written, longest first
	judgments         words    // "态度很差": what the customer thinks, not what happened
	insults           words
	evidence          words
	evidencePoint     words
	introStarts       words
	introWords        words
	meta              words
	notUrgent         words
	moneySent         words
	textChange        words
	textAdd           words
	function          string
	functionWords     map[string]bool // English words that carry no content ("the", "was")
	degree            words           // intensifiers left out when matching category keywords (太, 很)
	referBack         words           // "接着刚才的": the conversation, not a time
	notTime           words           // "一直": no 周一
	habit             words           // "有时候": an hour that recurs
	dayWords          words           // "15号就发了": a bare N号 in a story that is a day
	risk              words           // the customer may escalate: the media, a lawsuit, the regulator (risk.go)
	kindNames         map[complaintbot.Kind]words
	switchPrefixes    words
	negations         words
	personRe          *regexp.Regexp
	surnames          string // understanding.surnames
	titles            words  // person_titles: 大堂经理, 柜员 …
	personWords       words  // person_words: 小伙子, 戴眼镜 …
	namingPrefixes    words  // naming_prefixes: 胸牌上写的 …
	branchWords       words  // branch_words: 支行, 网点 …
	openingHours      words  // opening_hours_words: 营业, 开门 …
	faq               []words
	urgent            []words
	urgentGaps        []urgentGap
	keywordGaps       map[string]*regexp.Regexp // category keywords written with a gap ("信息…卖")
	noBranchStory     words
	noBranchUnrelated words // "跟网点没关系": no branch, whatever branch is named
	atBranch          words // "开户", "柜台": the matter happened at a branch
	noBranchNames     words // the no-branch words of three characters or more (不涉及网点, 信用卡中心)
}

// urgentGap is an urgent word written with a gap ("卡…吞"), for the urgent entry of that index.
type urgentGap struct {
	entry int
	re    *regexp.Regexp
}

// compileUnderstanding prepares the lists for matching.
func (d *Definition) compileUnderstanding() {
	f := &d.file
	u := &f.Understanding
	c := &understanding{asciiTo: map[string]string{}}
	var ascii, other []string
	for _, r := range u.Rewrite {
		for _, from := range r.From {
			if isASCII(from) {
				l := strings.ToLower(strings.TrimSpace(from))
				ascii = append(ascii, l)
				c.asciiTo[l] = r.To
			} else {
				other = append(other, from, r.To)
			}
		}
	}
	if len(ascii) > 0 {
		sort.SliceStable(ascii, func(i, j int) bool { return len(ascii[i]) > len(ascii[j]) })
		quoted := make([]string, len(ascii))
		for i, a := range ascii {
			quoted[i] = strings.ReplaceAll(regexp.QuoteMeta(a), " ", `\s+`)
		}
		c.asciiRewrite = regexp.MustCompile(`(?i)\b(?:` + strings.Join(quoted, "|") + `)\b`)
	}
	c.otherRewrite = strings.NewReplacer(other...)
	c.polite = newWords(u.Polite)
	c.urging = newWords(u.Urging)
	c.asking = newWords(u.Asking)
	c.closing = newWords(u.Closing)
	c.confirm = newWords(f.Commands.Confirm)
	c.dontKnow = newWords(u.DontKnow)
	c.timeWords = newWords(u.TimeWords)
	c.leaveQueue = newWords(u.LeaveQueue)
	c.progress = newWords(u.ProgressPhrases)
	c.question = newWords(u.QuestionWords)
	c.askBot = newWords(u.AskBot)
	c.infoQuestions = newWords(u.InfoQuestions)
	c.request = newWords(u.RequestWords)
	c.requestShort = newWords(u.RequestShort)
	c.wishMarkers = newWords(u.WishMarkers)
	c.remedyVerbs = newWords(u.RemedyVerbs)
	c.remedyEnds = newWords(u.RemedyEnds)
	c.requestMarkers = newWords(u.RequestMarkers)
	c.stopWishes = newWords(u.StopWishes)
	c.problem = newWords(u.ProblemWords)
	c.complaintStory = newWords(f.Kinds.Complaint.StoryWords)
	c.praiseStory = newWords(f.Kinds.Praise.StoryWords)
	c.suggestStory = newWords(f.Kinds.Suggestion.StoryWords)
	c.notRequest = newWords(u.NotRequest)
	c.notWish = newWords(u.NotWish)
	c.requestNone = newWords(u.RequestNone)
	c.narrative = newWords(u.NarrativeWords)
	c.narrativeSubj = newWords(u.NarrativeSubj)
	c.future = newWords(u.FutureWords)
	c.praiseDeeds = newWords(u.PraiseDeeds)
	c.switchFillers = append([]string{""}, newWords(u.SwitchFillers)...)
	c.branchSuffixes = newWords(u.BranchSuffixes)
	c.correction = newWords(u.CorrectionWords)
	c.notCorrection = newWords(u.NotCorrection)
	c.discovery = newWords(u.DiscoveryWords)
	c.notMarker = newWords(u.NotMarkers)
	c.pieceDone = newWords(u.PieceDone)
	c.noContent = newWords(u.Filler, u.Insults, u.LeadIns)
	c.leadIns = newWords(u.LeadIns)
	c.phoneRefusals = newWords(u.PhoneRefusals)
	c.phoneLeadIns = slices.Clone(u.PhoneLeadIns)
	sort.SliceStable(c.phoneLeadIns, func(i, j int) bool { return len(c.phoneLeadIns[i]) > len(c.phoneLeadIns[j]) })
	c.phoneTails = slices.Clone(u.PhoneTails)
	sort.SliceStable(c.phoneTails, func(i, j int) bool { return len(c.phoneTails[i]) > len(c.phoneTails[j]) })
	c.judgments = newWords(u.Judgments)
	c.insults = newWords(u.Insults)
	c.evidence = newWords(u.EvidenceRefs)
	c.evidencePoint = newWords(u.EvidencePoint)
	c.introStarts = newWords(u.IntroStarts)
	c.introWords = newWords(u.IntroWords)
	c.meta = newWords(u.MetaWords)
	c.notUrgent = newWords(u.NotUrgent)
	c.moneySent = newWords(u.MoneySent)
	c.textChange = newWords(u.TextChangeWords)
	c.textAdd = newWords(u.TextAddWords)
	c.function = u.FunctionChars
	c.functionWords = map[string]bool{}
	for _, w := range u.FunctionWords {
		c.functionWords[strings.ToLower(strings.TrimSpace(w))] = true
	}
	c.degree = newWords(u.DegreeWords)
	c.referBack = newWords(u.ReferBack)
	c.notTime = newWords(u.NotTimeWords)
	c.habit = newWords(u.HabitWords)
	c.dayWords = newWords(u.DayWords)
	c.risk = newWords(u.RiskWords)
	c.kindNames = map[complaintbot.Kind]words{}
	for _, k := range kindOrder {
		c.kindNames[k] = newWords(u.KindNames[string(k)])
	}
	c.switchPrefixes = newWords(u.SwitchPrefixes)
	c.negations = newWords(u.Negations)
	titles := newWords(u.PersonTitles)
	c.titles = titles
	c.personWords = newWords(u.PersonWords)
	c.namingPrefixes = newWords(u.NamingPrefixes)
	c.branchWords = newWords(u.BranchWords)
	c.openingHours = newWords(u.OpeningHoursWords)
	quoted := make([]string, len(titles))
	for i, t := range titles {
		quoted[i] = regexp.QuoteMeta(t)
	}
	c.surnames = u.Surnames
	sn := "[" + regexp.QuoteMeta(u.Surnames) + "]"
	title := "(?:" + strings.Join(quoted, "|") + ")"
	named := `(?:` + sn + title + `|小` + sn + `)`
	alts := []string{
		`工号\s*\d+(?:\s*的?` + named + `)?`, // 工号0427的张经理
		`(?:\d+号(?:窗口|柜台)的?)?` + named,
		`\d+号(?:窗口|柜台)的?` + sn + `\p{Han}{1,2}`, // 3号窗口的王小丽, 5号窗口王芳: the counter and a full name
		`\d+号(?:窗口|柜台)(?:的(?:柜员|工作人员|小姐姐|小姐|姑娘|小伙子|经理))?`,
		`(?:名叫|叫做|名字叫|姓名是` + alternatives(c.namingPrefixes) + `)\p{Han}{2,3}`,
		`(?:个|位)叫` + sn + `\p{Han}{1,2}`,                                                                      // 一个叫李莉的小姐姐
		`(?:柜员|经理|员工|工作人员|小姑娘|姑娘|小伙子|客服)\s*叫` + sn + `\p{Han}{1,2}`,                                           // 一个柜员 叫刘婷婷
		`戴眼镜的\p{Han}{0,3}?(?:小伙子|小姑娘|姑娘|大姐|大哥|阿姨|师傅|男的|女的|男生|女生)`,                                             // 有个戴眼镜的小伙子
		`(?:` + strings.TrimPrefix(alternatives(c.branchWords), "|") + `)的` + sn + `\p{Han}{1,2}(?:[，,\s]|$)`, // 人民路支行的陈敏，她是理财经理
		`姓` + sn + `(?:的(?:` + strings.Join(quoted, "|") + `|小伙子|小伙|小姑娘|姑娘|美女|帅哥|大姐|大哥))?`,                    // 姓王的小伙子
		title + sn + `\p{Han}{1,2}(?:$|[^\p{Han}])`,                                                           // 理财经理陈晓 (the name ends the clause: not 柜员张口就骂)
		title + `(?:大叔|大爷|大姐|大妈|阿姨|师傅|小哥|小姐姐|小姑娘|姑娘|小伙子|小伙)`,                                                  // 保安大叔
		sn + `\p{Han}(?:姐姐|哥哥)`,                                                                               // 张敏姐姐
	}
	c.personRe = regexp.MustCompile(strings.Join(alts, "|"))
	for _, q := range f.FAQ {
		c.faq = append(c.faq, newWords(q.Words))
	}
	c.keywordGaps = map[string]*regexp.Regexp{}
	for _, cats := range f.Categories {
		for i := range cats {
			cats[i].unless = newWords(cats[i].Unless)
			cats[i].majorWith = newWords(cats[i].MajorWith)
			cats[i].keys = make([]string, len(cats[i].Keywords))
			cats[i].looseKeys = make([]string, len(cats[i].Keywords))
			for j, w := range cats[i].Keywords {
				if strings.Contains(w, "…") {
					c.keywordGaps[w] = gapPattern(w)
					continue
				}
				kw := key(w)
				cats[i].keys[j] = kw
				if lw := strings.ReplaceAll(c.degree.remove(kw), "没有", "没"); runes(lw) >= 2 {
					cats[i].looseKeys[j] = lw
				}
			}
		}
	}
	for _, g := range f.Urgent {
		var ws []string
		for _, w := range g.Words {
			if !strings.Contains(w, "…") {
				ws = append(ws, w)
				continue
			}
			ws = append(ws, "") // keeps the index of the entry; the pattern below does the matching
			c.urgentGaps = append(c.urgentGaps, urgentGap{len(c.urgent), gapPattern(w)})
		}
		c.urgent = append(c.urgent, newWords(ws))
	}
	c.noBranchStory = newWords(f.NoBranch.StoryWords, []string{f.Hotline}) // "打95588没人接"
	c.noBranchUnrelated = newWords(f.NoBranch.Unrelated)
	c.atBranch = newWords(f.NoBranch.AtBranch)
	for _, w := range newWords(f.NoBranch.Words, []string{f.NoBranch.Name}) {
		if runes(w) >= 3 {
			c.noBranchNames = append(c.noBranchNames, w)
		}
	}
	d.u = c
}

// corrects reports whether a message (its key k) puts an answer right ("写错了", "不是城东，是城西"),
// phrases that only hold a correction word ("要不是她") left out.
func (d *Definition) corrects(k string) bool {
	return d.u.correction.in(d.u.notCorrection.strip(k))
}

// gapPattern matches a word written with gaps ("卡…吞了"): its parts in order, at most a dozen
// characters apart, in a matching key.
func gapPattern(w string) *regexp.Regexp {
	parts := strings.Split(w, "…")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(key(parts[i]))
	}
	return regexp.MustCompile(strings.Join(parts, `.{0,12}?`))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// alternatives writes words as regular-expression alternatives, each after a "|" ("" for none).
func alternatives(ws words) string {
	var b strings.Builder
	for _, w := range ws {
		b.WriteString("|" + regexp.QuoteMeta(w))
	}
	return b.String()
}

// validateUnderstanding checks the understanding, faq and urgent sections.
func (d *Definition) validateUnderstanding() error {
	f := &d.file
	u := &f.Understanding
	if err := requiredStrings("understanding.messages", &u.Messages); err != nil {
		return err
	}
	if err := required("understanding.closing_reply", u.ClosingReply); err != nil {
		return err
	}
	for _, l := range []struct {
		name string
		list []string
	}{
		{"polite", u.Polite}, {"closing", u.Closing}, {"dont_know", u.DontKnow}, {"leave_queue", u.LeaveQueue},
		{"progress_phrases", u.ProgressPhrases}, {"question_words", u.QuestionWords}, {"request_words", u.RequestWords},
		{"correction_words", u.CorrectionWords}, {"piece_done", u.PieceDone}, {"filler", u.Filler},
		{"switch_prefixes", u.SwitchPrefixes}, {"negations", u.Negations}, {"person_titles", u.PersonTitles},
		{"narrative_subjects", u.NarrativeSubj}, {"praise_deeds", u.PraiseDeeds}, {"branch_suffixes", u.BranchSuffixes},
		{"branch_words", u.BranchWords},
	} {
		if len(l.list) == 0 {
			return fmt.Errorf("understanding.%s is missing or empty", l.name)
		}
		for i, w := range l.list {
			if key(w) == "" && l.name != "question_words" {
				return fmt.Errorf("understanding.%s[%d]: %q has no letters or digits", l.name, i, w)
			}
		}
	}
	for i, r := range u.Rewrite {
		if len(r.From) == 0 || strings.TrimSpace(r.To) == "" {
			return fmt.Errorf("understanding.rewrite[%d] needs from and to", i)
		}
	}
	for _, k := range kindOrder {
		if len(u.KindNames[string(k)]) == 0 {
			return fmt.Errorf("understanding.kind_names.%s is missing or empty", k)
		}
	}
	if u.StoryContent <= 0 || u.DescContent <= 0 || u.SummaryChars <= 0 {
		return fmt.Errorf("understanding.story_content, description_content and summary_chars must be positive numbers")
	}
	if strings.TrimSpace(u.Surnames) == "" {
		return fmt.Errorf("understanding.surnames is missing or empty")
	}
	for i, q := range f.FAQ {
		if len(q.Words) == 0 {
			return fmt.Errorf("faq[%d].words is missing or empty", i)
		}
		if err := required(fmt.Sprintf("faq[%d].answer", i), q.Answer); err != nil {
			return err
		}
	}
	codes := map[string]bool{}
	for i, g := range f.Urgent {
		p := fmt.Sprintf("urgent[%d]", i)
		if err := required(p+".code", g.Code); err != nil {
			return err
		}
		if codes[g.Code] {
			return fmt.Errorf("%s.code: duplicate code %q", p, g.Code)
		}
		codes[g.Code] = true
		if len(g.Words) == 0 {
			return fmt.Errorf("%s.words is missing or empty", p)
		}
		if err := required(p+".text", g.Text); err != nil {
			return err
		}
		if g.Category != "" && !slices.ContainsFunc(f.Categories[string(complaintbot.KindComplaint)], func(c categoryDef) bool { return c.Code == g.Category }) {
			return fmt.Errorf("%s.category: %q is not a complaint category code", p, g.Category)
		}
	}
	return nil
}
