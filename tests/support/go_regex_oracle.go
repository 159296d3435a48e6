// Test oracle: Go's own regexp, the semantics allowlists were written for.
// Reads lines "HEX(pattern)<TAB>HEX(subject)" on stdin and prints, for each,
// "E" when regexp.Compile rejects the pattern, else "1" or "0" for
// MatchString. Standard library only.
package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		fields := strings.SplitN(in.Text(), "\t", 2)
		if len(fields) != 2 {
			fmt.Fprintln(os.Stderr, "bad input line")
			os.Exit(2)
		}
		pattern, err1 := hex.DecodeString(fields[0])
		subject, err2 := hex.DecodeString(fields[1])
		if err1 != nil || err2 != nil {
			fmt.Fprintln(os.Stderr, "bad hex")
			os.Exit(2)
		}
		re, err := regexp.Compile(string(pattern))
		switch {
		case err != nil:
			fmt.Fprintln(out, "E")
		case re.MatchString(string(subject)):
			fmt.Fprintln(out, "1")
		default:
			fmt.Fprintln(out, "0")
		}
	}
}
