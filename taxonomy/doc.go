// Package taxonomy is the JR/T 0169-2018 classification (金融消费者投诉统计分类及编码 银行业金融机构)
// as data: the three axes every complaint is coded on — A 业务办理渠道 (channel), B 业务类别
// (business) and C 投诉原因 (reason) — with the standard's names, order and numbering scheme, read
// from the embedded jrt0169.yaml (or an operator's replacement given to Parse).
//
// A case carries one leaf code per axis (a Coding). Propose suggests a Coding for a new case from
// the customer's category and words; the agent confirms or changes it.
//
// The numeric codes were numbered in the standard's order from public copies of it, not copied
// from the published text: check them against the standard before the first regulatory return.
//
// The package is pure: no I/O beyond reading its embedded data file, no clock, no goroutines.
package taxonomy
