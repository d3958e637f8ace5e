// go-zombies leaks one zombie (<defunct>) child per second, the classic Go bug:
// exec.Command(...).Start() without a matching cmd.Wait(). The child exits at once, but
// nobody collects its exit status, so the kernel keeps it as a zombie until this program exits.
//
// The fix is cmd.Run(), or cmd.Start() followed by cmd.Wait() (in a goroutine if needed).
//
//	go run . -bin /bin/true -every 1s
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"time"
)

type options struct {
	bin   string
	args  string
	every time.Duration
	count int
}

// binCmd mirrors the original bug report: arguments come from the options.
func (o options) binCmd() []string {
	if o.args == "" {
		return nil
	}
	return []string{o.args}
}

func main() {
	var opt options
	flag.StringVar(&opt.bin, "bin", "/bin/true", "binary to start on every tick")
	flag.StringVar(&opt.args, "args", "", "one argument passed to the binary")
	flag.DurationVar(&opt.every, "every", time.Second, "how often to start it")
	flag.IntVar(&opt.count, "count", 0, "stop spawning after this many (0: never)")
	flag.Parse()

	// OK: Run() waits for the child, so this check of the binary leaves no zombie behind.
	if err := exec.Command(opt.bin, opt.binCmd()...).Run(); err != nil {
		fmt.Printf("%s does not run: %s\n", opt.bin, err)
		os.Exit(1)
	}
	fmt.Printf("go-zombies: pid %d starts %s every %s and never waits\n", os.Getpid(), opt.bin, opt.every)
	for i := 1; opt.count == 0 || i <= opt.count; i++ {
		spawn(opt, i)
		time.Sleep(opt.every)
	}
	select {} // keep the zombies around: they vanish when their parent exits
}

func spawn(opt options, i int) {
	cmd := exec.Command(opt.bin, opt.binCmd()...)
	if err := cmd.Start(); err != nil { // LEAK: Start() without cmd.Wait(): the child becomes a zombie
		fmt.Printf("[err] exec.Command err:%s, cmd:%s\n", err, cmd.String())
		return
	}
	fmt.Printf("started #%d: pid %d (never waited)\n", i, cmd.Process.Pid)
}
