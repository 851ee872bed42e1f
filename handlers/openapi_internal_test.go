package handlers

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/regularshq/regulars/models"
)

// openAPIDoc is the part of an OpenAPI document the checks read.
type openAPIDoc struct {
	OpenAPI    string                          `json:"openapi"`
	Paths      map[string]map[string]openAPIOp `json:"paths"`
	Webhooks   map[string]map[string]openAPIOp `json:"webhooks"`
	Components struct {
		Schemas         map[string]map[string]any `json:"schemas"`
		Parameters      map[string]map[string]any `json:"parameters"`
		Responses       map[string]map[string]any `json:"responses"`
		SecuritySchemes map[string]map[string]any `json:"securitySchemes"`
	} `json:"components"`
}

type openAPIOp struct {
	Parameters  []map[string]any          `json:"parameters"`
	RequestBody map[string]any            `json:"requestBody"`
	Responses   map[string]map[string]any `json:"responses"`
	Security    []map[string]any          `json:"security"`
}

// apiTypes is what each route decodes and answers, for checking the
// document's schemas against the Go types field by field.
var apiTypes = map[string]struct{ body, answer any }{
	"POST /members":                        {memberBody{}, apiMember{}},
	"GET /members":                         {nil, apiList[apiMember]{}},
	"GET /members/{memberID}":              {nil, apiMember{}},
	"PATCH /members/{memberID}":            {memberBody{}, apiMember{}},
	"GET /members/{memberID}/balances":     {nil, apiList[apiBalance]{}},
	"GET /members/{memberID}/entries":      {nil, apiList[apiEntry]{}},
	"POST /purchases":                      {purchaseBody{}, apiPurchase{}},
	"POST /purchases/{purchaseID}/refunds": {refundBody{}, apiRefundResult{}},
	"GET /rewards":                         {nil, apiList[apiReward]{}},
	"POST /redemptions":                    {redemptionBody{}, apiRedemption{}},
	"GET /vouchers/{code}":                 {nil, apiVoucherDetail{}},
	"POST /vouchers/{code}/use":            {nil, apiVoucherDetail{}},
	"POST /vouchers/{code}/cancel":         {nil, apiVoucherDetail{}},
	"POST /actions":                        {actionBody{}, apiAward{}},
}

var pathParam = regexp.MustCompile(`:(\w+)`)

func loadOpenAPI(t *testing.T) *openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Fatalf(`"openapi" is %q, want 3.1.x`, doc.OpenAPI)
	}
	return &doc
}

// TestOpenAPIDocument holds the document to the route table the app
// registers: every route documented, nothing documented that is not a
// route, and each body and answer with the Go type's fields and types.
func TestOpenAPIDocument(t *testing.T) {
	doc := loadOpenAPI(t)
	routes := map[string]apiRoute{}
	for _, r := range (&App{}).apiRoutes() {
		routes[r.Method+" "+pathParam.ReplaceAllString(r.Path, "{$1}")] = r
	}
	documented := map[string]openAPIOp{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented[strings.ToUpper(method)+" "+path] = op
		}
	}
	for route := range routes {
		if _, ok := documented[route]; !ok {
			t.Errorf("route %s is not in openapi.json", route)
		}
		if _, ok := apiTypes[route]; !ok {
			t.Errorf("route %s has no entry in apiTypes", route)
		}
	}
	for route := range documented {
		if _, ok := routes[route]; !ok && route != "GET "+strings.TrimPrefix(openAPIPath, apiPrefix) {
			t.Errorf("openapi.json documents %s, which is not in the route table", route)
		}
	}
	if s := doc.Components.SecuritySchemes["bearerAuth"]; s["type"] != "http" || s["scheme"] != "bearer" {
		t.Errorf("bearerAuth security scheme is %v", s)
	}
	for route, op := range documented {
		if _, ok := routes[route]; ok {
			checkOperation(t, doc, route, op)
		}
	}
}

func checkOperation(t *testing.T, doc *openAPIDoc, route string, op openAPIOp) {
	t.Helper()
	method, path, _ := strings.Cut(route, " ")
	var params []string
	for _, p := range op.Parameters {
		p = resolve(doc, p)
		params = append(params, p["in"].(string)+":"+p["name"].(string))
	}
	for _, m := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(path, -1) {
		if !slices.Contains(params, "path:"+m[1]) {
			t.Errorf("%s: path parameter %s is not documented", route, m[1])
		}
	}
	writes := method == http.MethodPost || method == http.MethodPatch
	if writes != slices.Contains(params, "header:"+idempotencyHeader) {
		t.Errorf("%s: Idempotency-Key documented %v, want %v", route, !writes, writes)
	}
	types := apiTypes[route]
	if types.body != nil {
		body := schemaCheck{t: t, doc: doc, request: true}
		body.schema(route+" body", bodySchema(t, route, op.RequestBody, "application/json"), reflect.TypeOf(types.body), false)
	} else if op.RequestBody != nil {
		t.Errorf("%s: documents a body the handler does not read", route)
	}
	success := false
	for status, r := range op.Responses {
		r = resolve(doc, r)
		switch {
		case status == "400" && !writes:
			t.Errorf("%s: a read route has no body to be malformed", route)
		case status[0] == '2':
			success = true
			answer := schemaCheck{t: t, doc: doc}
			answer.schema(route+" "+status, bodySchema(t, route, r, "application/json"), reflect.TypeOf(types.answer), false)
		case status[0] == '4':
			bodySchema(t, route+" "+status, r, "application/problem+json")
		}
	}
	if !success {
		t.Errorf("%s: no success response", route)
	}
	for _, status := range []string{"401", "429"} {
		if _, ok := op.Responses[status]; !ok {
			t.Errorf("%s: response %s is not documented", route, status)
		}
	}
}

// bodySchema is the schema of a request or response body's content type.
func bodySchema(t *testing.T, where string, body map[string]any, contentType string) map[string]any {
	t.Helper()
	content, _ := body["content"].(map[string]any)
	media, ok := content[contentType].(map[string]any)
	if !ok {
		t.Errorf("%s: no %s content in %v", where, contentType, body)
		return map[string]any{}
	}
	schema, _ := media["schema"].(map[string]any)
	return schema
}

// resolve follows a local $ref.
func resolve(doc *openAPIDoc, v map[string]any) map[string]any {
	ref, ok := v["$ref"].(string)
	if !ok {
		return v
	}
	kind, name, _ := strings.Cut(strings.TrimPrefix(ref, "#/components/"), "/")
	return map[string]map[string]map[string]any{
		"schemas": doc.Components.Schemas, "parameters": doc.Components.Parameters, "responses": doc.Components.Responses,
	}[kind][name]
}

// schemaCheck holds a schema to a Go type: the same JSON field names,
// each of its kind (int64 an integer of format int64, time a date-time),
// and in an answer null allowed where the field is a pointer that is not
// omitted. A request may send null for any field (it means absent), so
// there null is not checked.
type schemaCheck struct {
	t       *testing.T
	doc     *openAPIDoc
	request bool
}

func (c schemaCheck) schema(where string, schema map[string]any, typ reflect.Type, nullable bool) {
	t, doc := c.t, c.doc
	t.Helper()
	schema = resolve(doc, schema)
	types := schemaTypes(doc, schema)
	if !c.request && nullable != slices.Contains(types, "null") {
		t.Errorf("%s: null allowed %v, want %v", where, !nullable, nullable)
	}
	schema = nonNull(doc, schema)
	want := map[reflect.Kind]string{reflect.Int64: "integer", reflect.Int: "integer", reflect.String: "string",
		reflect.Bool: "boolean", reflect.Struct: "object", reflect.Slice: "array"}[typ.Kind()]
	if typ == reflect.TypeOf(time.Time{}) {
		want = "string"
		if schema["format"] != "date-time" {
			t.Errorf("%s: a time without format date-time", where)
		}
	}
	if !slices.Contains(types, want) {
		t.Errorf("%s: type %v, want %s (Go %s)", where, types, want, typ)
		return
	}
	switch {
	case typ.Kind() == reflect.Int64 && schema["format"] != "int64":
		t.Errorf("%s: an int64 without format int64", where)
	case typ.Kind() == reflect.Slice:
		items, _ := schema["items"].(map[string]any)
		c.schema(where+"[]", items, typ.Elem(), false)
	case typ.Kind() == reflect.Struct && typ != reflect.TypeOf(time.Time{}):
		c.fields(where, schema, typ)
	}
}

func (c schemaCheck) fields(where string, schema map[string]any, typ reflect.Type) {
	t, doc := c.t, c.doc
	t.Helper()
	props := properties(doc, schema)
	fields := jsonFields(typ)
	var names, documented []string
	for name := range fields {
		names = append(names, name)
	}
	for name := range props {
		documented = append(documented, name)
	}
	sort.Strings(names)
	sort.Strings(documented)
	if !slices.Equal(names, documented) {
		t.Errorf("%s: documents fields %v, Go %s has %v", where, documented, typ, names)
		return
	}
	for name, f := range fields {
		ft := f.Type
		nullable := ft.Kind() == reflect.Pointer && !strings.Contains(f.Tag.Get("json"), ",omitempty")
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		c.schema(where+"."+name, props[name], ft, nullable)
	}
}

// properties gathers an object schema's properties, through allOf.
func properties(doc *openAPIDoc, schema map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	schema = resolve(doc, schema)
	if all, ok := schema["allOf"].([]any); ok {
		for _, s := range all {
			for k, v := range properties(doc, s.(map[string]any)) {
				out[k] = v
			}
		}
	}
	props, _ := schema["properties"].(map[string]any)
	for k, v := range props {
		out[k] = v.(map[string]any)
	}
	return out
}

// schemaTypes is what a schema allows: its type or types, object for
// allOf, the union of oneOf.
func schemaTypes(doc *openAPIDoc, schema map[string]any) []string {
	schema = resolve(doc, schema)
	switch ty := schema["type"].(type) {
	case string:
		return []string{ty}
	case []any:
		var out []string
		for _, s := range ty {
			out = append(out, s.(string))
		}
		return out
	}
	if _, ok := schema["allOf"]; ok {
		return []string{"object"}
	}
	var out []string
	one, _ := schema["oneOf"].([]any)
	for _, s := range one {
		out = append(out, schemaTypes(doc, s.(map[string]any))...)
	}
	return out
}

// nonNull is the schema a oneOf with null allows besides null.
func nonNull(doc *openAPIDoc, schema map[string]any) map[string]any {
	one, ok := schema["oneOf"].([]any)
	if !ok {
		return schema
	}
	for _, s := range one {
		if s := resolve(doc, s.(map[string]any)); s["type"] != "null" {
			return s
		}
	}
	return schema
}

// jsonFields are a struct's JSON fields by name, embedded structs' fields
// promoted as encoding/json does.
func jsonFields(typ reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			for k, v := range jsonFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		out[name] = f
	}
	return out
}

// TestOpenAPIProblemSchema holds the Problem schema to problemDetails.
func TestOpenAPIProblemSchema(t *testing.T) {
	check := schemaCheck{t: t, doc: loadOpenAPI(t)}
	check.schema("Problem", map[string]any{"$ref": "#/components/schemas/Problem"}, reflect.TypeOf(problemDetails{}), false)
}

// webhookData is the Go type of each event's data, which the document's
// webhooks object must describe field by field.
var webhookData = map[models.WebhookEvent]any{
	models.EventMemberCreated: models.MemberEventData{}, models.EventPurchaseRecorded: models.PurchaseEventData{},
	models.EventPurchaseRefunded: models.PurchaseEventData{}, models.EventPointsAdjusted: models.PointsEventData{},
	models.EventRedemptionCreated: models.VoucherEventData{}, models.EventVoucherUsed: models.VoucherEventData{},
	models.EventVoucherCancelled: models.VoucherEventData{}, models.EventTierChanged: models.TierEventData{},
	models.EventPointsExpired: models.PointsEventData{},
}

// TestOpenAPIWebhooks holds the webhooks object to the events: each one
// documented, nothing else, its type a constant and its data the Go type's
// fields.
func TestOpenAPIWebhooks(t *testing.T) {
	doc := loadOpenAPI(t)
	if len(doc.Webhooks) != len(models.WebhookEvents) {
		t.Errorf("openapi.json documents %d webhooks, there are %d events", len(doc.Webhooks), len(models.WebhookEvents))
	}
	for _, ev := range models.WebhookEvents {
		op, ok := doc.Webhooks[string(ev)]["post"]
		if !ok {
			t.Errorf("event %s is not in the webhooks of openapi.json", ev)
			continue
		}
		props := properties(doc, bodySchema(t, string(ev), op.RequestBody, "application/json"))
		if props["type"]["const"] != string(ev) {
			t.Errorf("%s: type is %v, want the constant %q", ev, props["type"], ev)
		}
		if props["timestamp"]["format"] != "date-time" {
			t.Errorf("%s: timestamp is not a date-time", ev)
		}
		check := schemaCheck{t: t, doc: doc}
		check.schema(string(ev)+" data", props["data"], reflect.TypeOf(webhookData[ev]), false)
		var headers []string
		for _, p := range op.Parameters {
			headers = append(headers, p["name"].(string))
		}
		if !slices.Equal(headers, []string{"webhook-id", "webhook-timestamp", "webhook-signature"}) {
			t.Errorf("%s: headers %v", ev, headers)
		}
	}
}
