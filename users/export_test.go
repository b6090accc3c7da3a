package users

import "golang.org/x/crypto/bcrypt"

// The tests hash with bcrypt's lowest work factor: they check what the rules accept and refuse,
// not how long a guess takes (the console's end-to-end tests run with the real factor).
func init() { hashCost = bcrypt.MinCost }
