// Test oracle: Go's own regexp, the semantics allowlists were written for.
// Reads lines "QUOTED(pattern)<TAB>QUOTED(subject)" on stdin, each field a Go
// string literal as strconv.Quote writes it (so tabs, newlines and invalid
// UTF-8 survive), and prints one line per input line: "E<TAB>message" when
// regexp.Compile rejects the pattern, else "1" or "0" for MatchString.
// Standard library only; build with GO111MODULE=off (no module needed).
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	cache := map[string]*regexp.Regexp{}
	errs := map[string]error{}
	for in.Scan() {
		fields := strings.SplitN(in.Text(), "\t", 2)
		if len(fields) != 2 {
			fmt.Fprintln(os.Stderr, "bad input line:", in.Text())
			os.Exit(2)
		}
		pattern, err1 := strconv.Unquote(fields[0])
		subject, err2 := strconv.Unquote(fields[1])
		if err1 != nil || err2 != nil {
			fmt.Fprintln(os.Stderr, "bad quoting:", in.Text())
			os.Exit(2)
		}
		re, seen := cache[pattern]
		err := errs[pattern]
		if !seen {
			re, err = regexp.Compile(pattern)
			cache[pattern], errs[pattern] = re, err
		}
		switch {
		case err != nil:
			fmt.Fprintf(out, "E\t%s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		case re.MatchString(subject):
			fmt.Fprintln(out, "1")
		default:
			fmt.Fprintln(out, "0")
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
