package ql

import (
	"errors"
	"testing"
)

// jqlSyntaxErrors pairs queries with the messages Jira gives for them. Most come from Jira's own
// functional test of its parser (TestJqlParsing), so they are the product's exact sentences.
var jqlSyntaxErrors = []struct{ query, msg string }{
	{"comment ~ 'test", "The quoted string 'test' has not been completed. (line 1, character 11)"},
	{"comment ~ 'test\n", "The quoted string 'test ' has not been completed. (line 1, character 11)"},
	{"priority=\"test\nword", "The quoted string 'test word' has not been completed. (line 1, character 10)"},
	{"comment ~ '", "The quoted string has not been completed. (line 1, character 11)"},
	{"comme\\unt ~ 'test", `'\un' is an illegal JQL escape sequence. The valid escape sequences are \', \", \t, \n, \r, \\, '\ ' and \uXXXX. (line 1, character 6)`},
	{"status =\n\n\n\n\n\n \\c", `'\c' is an illegal JQL escape sequence. The valid escape sequences are \', \", \t, \n, \r, \\, '\ ' and \uXXXX. (line 7, character 2)`},
	{"status =\n\n\n\n\\", `The escape sequence has not been completed. The valid escape sequences are \', \", \t, \n, \r, \\, '\ ' and \uXXXX. (line 5, character 1)`},
	{"status =\n\n\n\n'\\u'", `'\u'' is an illegal JQL escape sequence. The valid escape sequences are \', \", \t, \n, \r, \\, '\ ' and \uXXXX. (line 5, character 2)`},
	{"mine{www = qwwr", `The character '{' is a reserved JQL character. You must enclose it in a string or use the escape '\u007b' instead. (line 1, character 5)`},
	{"minewww# = qwwr", `The character '#' is a reserved JQL character. You must enclose it in a string or use the escape '\u0023' instead. (line 1, character 8)`},
	{"minewww = qwwr}", `The character '}' is a reserved JQL character. You must enclose it in a string or use the escape '\u007d' instead. (line 1, character 15)`},
	{"assignee = name@example.com", `The character '@' is a reserved JQL character. You must enclose it in a string or use the escape '\u0040' instead. (line 1, character 16)`},
	{"summary ~ 50%", `The character '%' is a reserved JQL character. You must enclose it in a string or use the escape '\u0025' instead. (line 1, character 13)`},
	{"minewww =\u007fqwwr", `The character 'U+007F' on line 1 at position 10 must be escaped. Use the escape '\u007f' instead. (line 1, character 10)`},
	{"mqwwr\u007f", `The character 'U+007F' on line 1 at position 6 must be escaped. Use the escape '\u007f' instead. (line 1, character 6)`},
	{"mqwwr=\"\u007f this is broken\"", `The character 'U+007F' on line 1 at position 8 must be escaped. Use the escape '\u007f' instead. (line 1, character 8)`},
	{"aaaaa=-3482094382084092840932809482", "'-3482094382084092840932809482' is not a valid number. Numbers must be between -9,223,372,036,854,775,808 and 9,223,372,036,854,775,807. (line 1, character 7)"},
	{"cf[1002020202002020202020202020020202822]=a", "'1002020202002020202020202020020202822' is not a valid number. Numbers must be between -9,223,372,036,854,775,808 and 9,223,372,036,854,775,807. (line 1, character 4)"},
	{"a =b order", "Expecting 'by' before the end of the query."},
	{"a =b order summary", "Expecting 'by' but got 'summary'. (line 1, character 12)"},
	{"a =b order by", "Expecting a field name at the end of the query."},
	{"a =b order by asc", "Expecting a field name but got 'asc'. You must surround 'asc' in quotation marks to use it as a field name. (line 1, character 15)"},
	{"a =b order by ajsks blah", "Expecting either 'ASC' or 'DESC' but got 'blah'. (line 1, character 21)"},
	{"a =b order by \"\" desc", "A field name cannot be empty. (line 1, character 15)"},
	{"'' = c", "A field name cannot be empty. (line 1, character 1)"},
	{"a = ''()", "A function name cannot be empty. (line 1, character 5)"},
	{"a = \"\"()", "A function name cannot be empty. (line 1, character 5)"},
	{"a", "Expecting operator before the end of the query. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'."},
	{"a blah >", "Expecting operator but got 'blah'. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. (line 1, character 3)"},
	{"a =a and j not is empty", "Expecting 'IN' but got 'is'. (line 1, character 16)"},
	{"a =a and j is ! empty", "Expecting 'NOT' but got '!'. (line 1, character 15)"},
	{"cf", "Expecting '[' before the end of the query."},
	{"a = b and not (cf = 6)", "Expecting '[' but got '='. (line 1, character 19)"},
	{"cf[", "Expecting a custom field id (a positive number) before the end of the query."},
	{"cf[ = 9", "Expecting a custom field id (a positive number) but got '='. (line 1, character 5)"},
	{"cf[] = 1", "Expecting a custom field id (a positive number) but got ']'. (line 1, character 4)"},
	{"cf[29829k] = ", "Expecting a custom field id (a positive number) but got '29829k'. (line 1, character 4)"},
	{"cf[-29829] = ", "Expecting a custom field id (a positive number) but got '-29829'. (line 1, character 4)"},
	{"cf[29829 = world", "Expecting ']' but got '='. (line 1, character 10)"},
	{"cf[29829", "Expecting ']' before the end of the query."},
	{"a = func(", "Expecting ')' before the end of the query."},
	{"a = func(, and not (a = x)", "Expecting ')' but got ','. (line 1, character 10)"},
	{"b=func(bad", "Expecting ')' before the end of the query."},
	{"bas=func(bad,)", "Function argument must be specified. (line 1, character 14)"},
	{"bas=func(bad,", "Expecting a function argument at the end of the query."},
	{"k = func(!", "Expecting a function argument but got '!'. You must surround '!' in quotation marks to use it as an argument. (line 1, character 10)"},
	{"k = func(abc, jk!)", "Expecting ')' or ',' but got '!'. (line 1, character 17)"},
	{"(a=b and c = d", "Expecting ')' before the end of the query."},
	{"a=b or (c=d and not l ~ kate", "Expecting ')' before the end of the query."},
	{"b in ((12, (288)", "Expecting ')' before the end of the query."},
	{"abc IN ((foo) abc = a", "Expecting ')' but got 'abc'. (line 1, character 15)"},
	{"a=", "Expecting either a value, list or function before the end of the query."},
	{"a=!", "Expecting either a value, list or function but got '!'. You must surround '!' in quotation marks to use it as a value. (line 1, character 3)"},
	{"a=b c=d", "Expecting either 'OR' or 'AND' but got 'c'. (line 1, character 5)"},
	{"a=b !c=d", "Expecting either 'OR' or 'AND' but got '!'. (line 1, character 5)"},
	{"a=(a,", "Expecting either a value, list or function before the end of the query."},
	{"a=(a,(,bad))", "Expecting either a value, list or function but got ','. You must surround ',' in quotation marks to use it as a value. (line 1, character 7)"},
	{"a = ((c,d), d, e, f, yyy) and", "Expecting a field name at the end of the query."},
	{"comment !~ \"brenden\" and", "Expecting a field name at the end of the query."},
	{"comment !~ \"brenden\" jack = jill", "Expecting either 'OR' or 'AND' but got 'jack'. (line 1, character 22)"},
	{"comment !~ \"brenden\" and cf[1000] = jill order by a desc b", "Expecting ',' but got 'b'. (line 1, character 58)"},
	{", a = b", "Expecting a field name but got ','. You must surround ',' in quotation marks to use it as a field name. (line 1, character 1)"},
	{"order by a desc d", "Expecting ',' but got 'd'. (line 1, character 17)"},
	{"[brenden] = a", "Expecting a field name but got '['. Did you mean 'cf['? (line 1, character 1)"},
	{"a = brenden and [78] = q", "Expecting a field name but got '['. Did you mean 'cf['? (line 1, character 17)"},
	{"a was", "Expecting either a value, list or function before the end of the query."},
	{"a not was \"Open\"", "Expecting 'IN' but got 'was'. (line 1, character 7)"},
	{"summary ~ date", "'date' is a reserved JQL word. You must surround it in quotation marks to use it in a query. (line 1, character 11)"},
	{"summary ~ with", "'with' is a reserved JQL word. You must surround it in quotation marks to use it in a query. (line 1, character 11)"},
	{"project = IN", "Expecting either a value, list or function but got 'IN'. You must surround 'IN' in quotation marks to use it as a value. (line 1, character 11)"},
	{"project = ABC AND", "Expecting a field name at the end of the query."},
	{"project = ABC)", "Expecting either 'OR' or 'AND' but got ')'. (line 1, character 14)"},
	{"project in (A B)", "Expecting ',' or ')' but got 'B'. (line 1, character 15)"},
	{"updated >= -1h 30m", "Expecting either 'OR' or 'AND' but got '30m'. (line 1, character 16)"},
}

func TestParseJQLErrors(t *testing.T) {
	for _, tc := range jqlSyntaxErrors {
		t.Run(tc.query, func(t *testing.T) {
			q, err := Parse(JQL, tc.query)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want error", tc.query, q)
			}
			var qe *Error
			if !errors.As(err, &qe) || qe.Dialect != JQL {
				t.Fatalf("error %T %v, want *Error for JQL", err, err)
			}
			if want := "Error in the JQL Query: " + tc.msg; qe.Msg != want {
				t.Errorf("got  %s\nwant %s", qe.Msg, want)
			}
		})
	}
}
