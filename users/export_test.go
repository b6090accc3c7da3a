package users

// The tests hash with bcrypt's lowest work factor: they check what the rules accept and refuse,
// not how long a guess takes (cmd/complaintbot's tests run the service with the real factor).
func init() { UseQuickHashesInTests() }
