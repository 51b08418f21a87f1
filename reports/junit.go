package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// JUnit XML, as CI systems read it (Jenkins, GitLab, GitHub actions' reporters): one testsuite
// per scenario run, one testcase per expectation, a failure element for each that did not hold.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  junitText       `xml:"system-out"`
}

// junitText keeps the summary's lines readable in the file (CDATA, not &#xA; escapes).
type junitText struct {
	Text string `xml:",cdata"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnit writes the reports as one JUnit XML document. The testsuite's time is the run's virtual
// duration; the text summary goes to system-out, so CI shows the timeline of a failed drill.
func JUnit(w io.Writer, rs ...*Report) error {
	doc := junitSuites{Name: "canarydrill"}
	total := 0.0
	for _, r := range rs {
		s := junitSuite{
			Name: r.Scenario,
			Time: seconds(suiteSeconds(r)),
			Properties: []junitProperty{
				{Name: "seed", Value: strconv.FormatInt(r.Seed, 10)},
				{Name: "outcome", Value: r.Outcome},
				{Name: "finalPhase", Value: r.FinalPhase},
			},
		}
		for _, x := range r.Expectations {
			c := junitCase{Name: x.Name, Classname: "canarydrill." + r.Scenario, Time: "0"}
			if !x.Passed {
				c.Failure = &junitFailure{Message: x.Describe(), Type: "ExpectationFailed", Text: x.Describe()}
				s.Failures++
			}
			s.Cases = append(s.Cases, c)
		}
		s.Tests = len(s.Cases)
		var out strings.Builder
		if err := Text(&out, r); err != nil {
			return err
		}
		s.SystemOut = junitText{strings.ReplaceAll(out.String(), "]]>", "]] >")}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		total += suiteSeconds(r)
		doc.Suites = append(doc.Suites, s)
	}
	doc.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w)
	return err
}

// suiteSeconds is how long a run took: its virtual time, or a drill's wall time.
func suiteSeconds(r *Report) float64 {
	if r.WallSeconds != nil {
		return *r.WallSeconds
	}
	return r.VirtualSeconds
}

func seconds(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) }
