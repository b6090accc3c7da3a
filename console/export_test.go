package console

// SetMaxExport makes an export hold at most n rows until restore is called (for tests).
func SetMaxExport(n int) (restore func()) {
	old := maxExport
	maxExport = n
	return func() { maxExport = old }
}
