package pages

import "github.com/regularshq/regulars/views/components"

// UserRow is one staff account in a list.
type UserRow struct {
	ID          int64
	Name        string
	Email       string
	Role        string
	Status      string // active, deactivated or invited
	LastLogin   string
	IsYou       bool
	ManageURL   string
	RoleChoices []components.Option
}

// AddUserForm is the add-a-user form's input and messages.
type AddUserForm struct {
	Name    string
	Email   string
	Role    string
	Errors  components.Errors
	Message string
}

// UsersData is the staff list with the add form.
type UsersData struct {
	Users []UserRow
	Form  AddUserForm
	Roles []components.Option
}

// UserData is one staff account's page.
type UserData struct {
	User         UserRow
	Recognition  RecognitionHistory
	Roles        []components.Option
	PasswordLink string // shown once, right after it was made
	RoleError    string
	Message      string
}
