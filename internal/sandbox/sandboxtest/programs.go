package sandboxtest

// Programs are one language's programs for the per-language checks (see
// RunLanguages). In their text, TOKEN, PORT and MARK are replaced by the
// test's token, a host port and Marker.
type Programs struct {
	Hello string // prints "Hello, World!"
	Echo  string // copies every stdin line to stdout
	// Prompt prints "name? " (flushed, no newline), reads a line and
	// prints "hi " and the line.
	Prompt string
	// RuntimeError fails at run time: exit ErrExit (3 when 0), StderrHas
	// on stderr.
	RuntimeError string
	ErrExit      int
	StderrHas    string
	Loop         string // never ends
	Memory       string // allocates and touches far past 128 MiB
	Flood        string // writes to stdout without end
	// Network connects to 127.0.0.1:PORT and prints CONNECTED when it can,
	// "failed" when it can't.
	Network string
	// ForkBomb starts processes running `sh -c 'sleep 600; : TOKEN'` until
	// it can't, prints MARK, then reads stdin to its end.
	ForkBomb string
	// CompileError doesn't compile (or parse); its checker's first error
	// is at ErrLine:ErrCol (ErrCol 0: the tool gives no column).
	CompileError    string
	ErrLine, ErrCol int
}

// LanguagePrograms are the programs of the built-in languages. A language
// added to the built-ins without its programs fails RunLanguages.
var LanguagePrograms = map[string]Programs{
	"python": {
		Hello:        "print('Hello, World!')\n",
		Echo:         "import sys\nfor line in sys.stdin:\n    print(line, end='')\n",
		Prompt:       "name = input('name? ')\nprint('hi', name)\n",
		RuntimeError: "import sys\nprint('boom', file=sys.stderr)\nraise SystemExit(3)\n",
		Loop:         "while True:\n    pass\n",
		Memory:       "x = b'x' * (512 << 20)\nprint(len(x))\n",
		Flood:        "while True:\n    print('x' * 1000)\n",
		Network: "import socket\ntry:\n    s = socket.socket()\n    s.settimeout(2)\n    s.connect(('127.0.0.1', PORT))\n    print('CONNECTED')\n" +
			"except OSError as e:\n    print('failed', e)\n",
		ForkBomb: "import subprocess, sys\nn = 0\nfor _ in range(200):\n    try:\n        subprocess.Popen(['/bin/sh', '-c', 'sleep 600; : TOKEN'])\n        n += 1\n" +
			"    except OSError:\n        pass\nprint('forked', n)\nprint('MARK', flush=True)\nsys.stdin.read()\n",
		CompileError: "print('a')\nx = (1,\n", ErrLine: 2, ErrCol: 5,
	},
	"c": {
		Hello:        "#include <stdio.h>\nint main(void) { puts(\"Hello, World!\"); return 0; }\n",
		Echo:         "#include <stdio.h>\nint main(void) { char b[256]; while (fgets(b, sizeof b, stdin)) fputs(b, stdout); return 0; }\n",
		Prompt:       "#include <stdio.h>\nint main(void) { char b[64]; printf(\"name? \"); fflush(stdout); if (!fgets(b, sizeof b, stdin)) return 1; printf(\"hi %s\", b); return 0; }\n",
		RuntimeError: "#include <stdio.h>\nint main(void) { fprintf(stderr, \"boom\\n\"); return 3; }\n",
		Loop:         "int main(void) { volatile int x = 0; for (;;) x++; }\n",
		Memory:       "#include <stdlib.h>\n#include <stdio.h>\nint main(void) { size_t n = 512u << 20; volatile char *p = malloc(n); for (size_t i = 0; i < n; i += 4096) p[i] = 1; printf(\"%d\\n\", p[n-4096]); return 0; }\n",
		Flood:        "#include <stdio.h>\nint main(void) { for (;;) puts(\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"); }\n",
		Network:      cNetwork,
		ForkBomb:     cForkBomb,
		CompileError: "int main(void) {\n  int x = ;\n  return 0;\n}\n", ErrLine: 2, ErrCol: 11,
	},
	"c++": {
		Hello:        "#include <iostream>\nint main() { std::cout << \"Hello, World!\" << std::endl; }\n",
		Echo:         "#include <iostream>\n#include <string>\nint main() { std::string l; while (std::getline(std::cin, l)) std::cout << l << '\\n'; }\n",
		Prompt:       "#include <iostream>\n#include <string>\nint main() { std::string n; std::cout << \"name? \" << std::flush; std::getline(std::cin, n); std::cout << \"hi \" << n << std::endl; }\n",
		RuntimeError: "#include <iostream>\nint main() { std::cerr << \"boom\" << std::endl; return 3; }\n",
		Loop:         "int main() { volatile int x = 0; for (;;) x++; }\n",
		Memory:       "#include <vector>\n#include <iostream>\nint main() { std::vector<char> v(512u << 20, 1); std::cout << int(v.back()) << std::endl; }\n",
		Flood:        "#include <iostream>\nint main() { for (;;) std::cout << \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\\n\"; }\n",
		Network:      cNetwork,
		ForkBomb:     cForkBomb,
		CompileError: "#include <iostream>\nint main() {\n  int x = ;\n}\n", ErrLine: 3, ErrCol: 11,
	},
	"javascript": {
		Hello:        "console.log('Hello, World!');\n",
		Echo:         "process.stdin.pipe(process.stdout);\n",
		Prompt:       "const rl = require('readline').createInterface({ input: process.stdin });\nprocess.stdout.write('name? ');\nrl.once('line', (n) => { console.log('hi ' + n); rl.close(); });\n",
		RuntimeError: "console.error('boom');\nprocess.exit(3);\n",
		Loop:         "for (;;) {}\n",
		Memory:       "const b = Buffer.alloc(512 * 1024 * 1024, 1);\nconsole.log(b[b.length - 1]);\n",
		Flood:        "const s = 'x'.repeat(4096) + '\\n';\nfunction w() { while (process.stdout.write(s)) {} process.stdout.once('drain', w); }\nw();\n",
		Network:      "const s = require('net').connect(PORT, '127.0.0.1', () => { console.log('CONNECTED'); s.destroy(); });\ns.on('error', (e) => console.log('failed', e.code));\n",
		ForkBomb:     jsForkBomb,
		CompileError: "let a = 1;\nconsole.log(\"hi\"\n", ErrLine: 2, ErrCol: 13,
	},
	"typescript": {
		Hello:        "const greeting: string = 'Hello, World!';\nconsole.log(greeting);\n",
		Echo:         "declare const process: any;\nprocess.stdin.pipe(process.stdout);\n",
		Prompt:       "declare const require: any, process: any;\nconst rl = require('readline').createInterface({ input: process.stdin });\nprocess.stdout.write('name? ');\nrl.once('line', (n: string) => { console.log('hi ' + n); rl.close(); });\n",
		RuntimeError: "declare const process: any;\nconsole.error('boom');\nprocess.exit(3);\n",
		Loop:         "for (;;) {}\n",
		Memory:       "declare const Buffer: any;\nconst b = Buffer.alloc(512 * 1024 * 1024, 1);\nconsole.log(b[b.length - 1]);\n",
		Flood:        "declare const process: any;\nconst s: string = 'x'.repeat(4096) + '\\n';\nfunction w(): void { while (process.stdout.write(s)) {} process.stdout.once('drain', w); }\nw();\n",
		Network:      "declare const require: any;\nconst s = require('net').connect(PORT, '127.0.0.1', () => { console.log('CONNECTED'); s.destroy(); });\ns.on('error', (e: any) => console.log('failed', e.code));\n",
		ForkBomb:     "declare const require: any, process: any;\n" + jsForkBomb,
		CompileError: "const n: number = 1;\nconst s: string = n;\n", ErrLine: 2, ErrCol: 7,
	},
	"go": {
		Hello:        "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"Hello, World!\")\n}\n",
		Echo:         "package main\n\nimport (\n\t\"io\"\n\t\"os\"\n)\n\nfunc main() { io.Copy(os.Stdout, os.Stdin) }\n",
		Prompt:       "package main\n\nimport (\n\t\"bufio\"\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tfmt.Print(\"name? \")\n\tl, _ := bufio.NewReader(os.Stdin).ReadString('\\n')\n\tfmt.Print(\"hi \", l)\n}\n",
		RuntimeError: "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tfmt.Fprintln(os.Stderr, \"boom\")\n\tos.Exit(3)\n}\n",
		Loop:         "package main\n\nfunc main() {\n\tfor {\n\t}\n}\n",
		Memory:       "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tb := make([]byte, 512<<20)\n\tfor i := range b {\n\t\tb[i] = 1\n\t}\n\tfmt.Println(b[len(b)-1])\n}\n",
		Flood:        "package main\n\nimport \"os\"\n\nfunc main() {\n\tb := []byte(\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\\n\")\n\tfor {\n\t\tos.Stdout.Write(b)\n\t}\n}\n",
		Network:      "package main\n\nimport (\n\t\"fmt\"\n\t\"net\"\n\t\"time\"\n)\n\nfunc main() {\n\tc, err := net.DialTimeout(\"tcp\", \"127.0.0.1:PORT\", 2*time.Second)\n\tif err != nil {\n\t\tfmt.Println(\"failed\", err)\n\t\treturn\n\t}\n\tc.Close()\n\tfmt.Println(\"CONNECTED\")\n}\n",
		ForkBomb:     "package main\n\nimport (\n\t\"fmt\"\n\t\"io\"\n\t\"os\"\n\t\"os/exec\"\n)\n\nfunc main() {\n\tn := 0\n\tfor i := 0; i < 200; i++ {\n\t\tif exec.Command(\"/bin/sh\", \"-c\", \"sleep 600; : TOKEN\").Start() == nil {\n\t\t\tn++\n\t\t}\n\t}\n\tfmt.Println(\"forked\", n)\n\tfmt.Println(\"MARK\")\n\tio.Copy(io.Discard, os.Stdin)\n}\n",
		CompileError: "package main\n\nfunc main() {\n\tx := 1\n}\n", ErrLine: 4, ErrCol: 2,
	},
	"rust": {
		Hello:        "fn main() {\n    println!(\"Hello, World!\");\n}\n",
		Echo:         "use std::io::{self, BufRead};\nfn main() {\n    for l in io::stdin().lock().lines() {\n        println!(\"{}\", l.unwrap());\n    }\n}\n",
		Prompt:       "use std::io::{self, Write};\nfn main() {\n    print!(\"name? \");\n    io::stdout().flush().unwrap();\n    let mut s = String::new();\n    io::stdin().read_line(&mut s).unwrap();\n    println!(\"hi {}\", s.trim_end());\n}\n",
		RuntimeError: "fn main() {\n    eprintln!(\"boom\");\n    std::process::exit(3);\n}\n",
		Loop:         "fn main() {\n    let mut x: u64 = 0;\n    loop {\n        x = x.wrapping_add(1);\n        if x == u64::MAX {\n            println!(\"{}\", x);\n        }\n    }\n}\n",
		Memory:       "fn main() {\n    let v = vec![1u8; 512 << 20];\n    println!(\"{}\", v[v.len() - 1]);\n}\n",
		Flood:        "use std::io::Write;\nfn main() {\n    let mut o = std::io::stdout();\n    loop {\n        if o.write_all(b\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\\n\").is_err() {\n            return;\n        }\n    }\n}\n",
		Network:      "use std::net::TcpStream;\nfn main() {\n    match TcpStream::connect(\"127.0.0.1:PORT\") {\n        Ok(_) => println!(\"CONNECTED\"),\n        Err(e) => println!(\"failed {}\", e),\n    }\n}\n",
		ForkBomb:     "use std::io::Read;\nuse std::process::Command;\nfn main() {\n    let mut n = 0;\n    for _ in 0..200 {\n        if Command::new(\"/bin/sh\").args([\"-c\", \"sleep 600; : TOKEN\"]).spawn().is_ok() {\n            n += 1;\n        }\n    }\n    println!(\"forked {}\", n);\n    println!(\"MARK\");\n    let mut s = String::new();\n    let _ = std::io::stdin().read_to_string(&mut s);\n}\n",
		CompileError: "fn main() {\n    let x: i32 = \"a\";\n}\n", ErrLine: 2, ErrCol: 18,
	},
	"java": {
		Hello:        "public class Main {\n    public static void main(String[] args) {\n        System.out.println(\"Hello, World!\");\n    }\n}\n",
		Echo:         "import java.io.*;\npublic class Main {\n    public static void main(String[] args) throws IOException {\n        BufferedReader r = new BufferedReader(new InputStreamReader(System.in));\n        String l;\n        while ((l = r.readLine()) != null) System.out.println(l);\n    }\n}\n",
		Prompt:       "import java.util.Scanner;\npublic class Main {\n    public static void main(String[] args) {\n        System.out.print(\"name? \");\n        System.out.flush();\n        String n = new Scanner(System.in).nextLine();\n        System.out.println(\"hi \" + n);\n    }\n}\n",
		RuntimeError: "public class Main {\n    public static void main(String[] args) {\n        System.err.println(\"boom\");\n        System.exit(3);\n    }\n}\n",
		Loop:         "public class Main {\n    public static void main(String[] args) {\n        long x = 0;\n        while (true) { x++; }\n    }\n}\n",
		Memory:       "import java.util.*;\npublic class Main {\n    public static void main(String[] args) {\n        List<byte[]> l = new ArrayList<>();\n        for (int i = 0; i < 512; i++) { byte[] b = new byte[1 << 20]; Arrays.fill(b, (byte) 1); l.add(b); }\n        System.out.println(l.size());\n    }\n}\n",
		Flood:        "public class Main {\n    public static void main(String[] args) {\n        while (true) System.out.println(\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\");\n    }\n}\n",
		Network:      "import java.net.*;\npublic class Main {\n    public static void main(String[] args) {\n        try (Socket s = new Socket()) {\n            s.connect(new InetSocketAddress(\"127.0.0.1\", PORT), 2000);\n            System.out.println(\"CONNECTED\");\n        } catch (Exception e) {\n            System.out.println(\"failed \" + e);\n        }\n    }\n}\n",
		ForkBomb:     "public class Main {\n    public static void main(String[] args) throws Exception {\n        int n = 0;\n        for (int i = 0; i < 200; i++) {\n            try { new ProcessBuilder(\"/bin/sh\", \"-c\", \"sleep 600; : TOKEN\").start(); n++; } catch (Throwable e) {}\n        }\n        System.out.println(\"forked \" + n);\n        System.out.println(\"MARK\");\n        System.in.readAllBytes();\n    }\n}\n",
		CompileError: "public class Main {\n    public static void main(String[] args) {\n        int x = 1\n    }\n}\n", ErrLine: 3, ErrCol: 18,
	},
	"bash": {
		Hello:        "echo 'Hello, World!'\n",
		Echo:         "while IFS= read -r line; do\n  echo \"$line\"\ndone\n",
		Prompt:       "printf 'name? '\nread -r name\necho \"hi $name\"\n",
		RuntimeError: "echo boom >&2\nexit 3\n",
		Loop:         "while :; do :; done\n",
		Memory:       "x=$(head -c 400000000 /dev/zero | tr '\\0' x)\necho ${#x}\n",
		Flood:        "yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
		Network:      "if (exec 3<>/dev/tcp/127.0.0.1/PORT) 2>/dev/null; then echo CONNECTED; else echo failed; fi\n",
		// A fork that fails ends bash, so the bomb goes off in a subshell.
		// A few holders start first and get time to fork their sleep: in
		// the bomb alone, under load, every sh may find the pids used up
		// and exit, leaving nothing to prove the kill on.
		ForkBomb:     "for i in 1 2 3 4; do /bin/sh -c 'sleep 600; : TOKEN' & done\nsleep 2\n(for i in $(seq 200); do /bin/sh -c 'sleep 600; : TOKEN' & done) 2>/dev/null\necho MARK\nwhile read -r x; do :; done\n",
		CompileError: "echo hi\nif true; then\n  echo x\n", ErrLine: 4, ErrCol: 0,
	},
	"sql": {
		Hello:        "SELECT 'Hello, World!';\n",
		Echo:         "CREATE TABLE t(line TEXT);\n.import --csv '|cat' t\nSELECT line FROM t;\n",
		Prompt:       ".print 'name? '\nCREATE TABLE t(name TEXT);\n.import --csv '|cat' t\nSELECT 'hi ' || name AS greeting FROM t;\n",
		RuntimeError: ".print boom\nSELECT * FROM missing_table;\n", ErrExit: 1, StderrHas: "no such table: missing_table",
		Loop:   "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;\n",
		Memory: "SELECT length(randomblob(600000000));\n",
		// .mode box measures every row before it prints one: an endless
		// query in it ends at the memory limit instead.
		Flood: ".mode list\nWITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x, 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' FROM c;\n",
		// .shell re-quotes its arguments with double quotes for /bin/sh.
		Network: ".shell bash -c 'if (exec 3<>/dev/tcp/127.0.0.1/PORT) 2>/dev/null; then echo CONNECTED; else echo failed; fi'\n",
		// Holders first, with time to fork their sleep (see bash's). After
		// the bomb the shell waits on stdin with its own read: a cat would
		// need a fork, fail with the pids used up, and with -bail sqlite3
		// would end, and the sandbox with it, before anyone looked.
		ForkBomb:     ".shell for a in 1 2 3 4; do sh -c 'sleep 600; : TOKEN' & done; sleep 2\n.shell (for a in 0 1 2 3 4 5 6 7 8 9; do for b in 0 1 2 3 4 5 6 7 8 9; do sh -c 'sleep 600; : TOKEN' & done; done) 2>/dev/null; echo MARK; while read -r x; do :; done\n",
		CompileError: "CREATE TABLE t(a);\nSELEC 1;\n", ErrLine: 2, ErrCol: 1,
	},
}

const cNetwork = `#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
int main(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(PORT);
    a.sin_addr.s_addr = htonl(0x7f000001);
    if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0) puts("CONNECTED");
    else puts("failed");
    return 0;
}
`

const cForkBomb = `#define _DEFAULT_SOURCE
#include <stdio.h>
#include <unistd.h>
int main(void) {
    int n = 0;
    for (int i = 0; i < 200; i++) {
        /* A few holders first, with time to fork their sleep: in the bomb
           alone every sh may find the pids used up and exit, leaving
           nothing to prove the kill on. */
        if (i == 4) sleep(2);
        pid_t p = fork();
        if (p == 0) { execl("/bin/sh", "sh", "-c", "sleep 600; : TOKEN", (char *)0); _exit(127); }
        if (p > 0) n++;
    }
    printf("forked %d\nMARK\n", n);
    fflush(stdout);
    char b[256];
    while (fread(b, 1, sizeof b, stdin) > 0) {}
    return 0;
}
`

const jsForkBomb = `const cp = require('child_process');
let n = 0, done = 0;
for (let i = 0; i < 200; i++) {
  const c = cp.spawn('/bin/sh', ['-c', 'sleep 600; : TOKEN'], { stdio: 'ignore' });
  c.on('spawn', () => { n++; if (++done === 200) end(); });
  c.on('error', () => { if (++done === 200) end(); });
}
function end() { console.log('forked ' + n); console.log('MARK'); process.stdin.on('end', () => process.exit(0)); process.stdin.resume(); }
`
