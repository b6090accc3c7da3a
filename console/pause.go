package console

// The timeline entry of a wait on the customer that paused the deadlines' clock (written by
// storage.Store.StopWaiting; its text says where the deadline moved, and when a regulator's
// referral's reply date kept it).
func init() { entryTitles["pause"] = "等待客户（暂停计时）" }
