package models

// Models lists every GORM model with a table, for the migration test that
// proves each model's columns exist in both dialects.
func Models() []any {
	return []any{&Merchant{}, &User{}, &PasswordToken{}}
}
