/**
 * Our rules against attacks on web applications: SQL injection, cross-site scripting, path
 * traversal and local file inclusion, OS command injection. Written by us from the attack
 * techniques (not from any other rule set); each looks in the query, the form body, cookies
 * and, where the attack is commonly delivered there, headers.
 */
import type { IpsRule } from '../engine/index.js';
import { inPlaces, pcre, WEB_PORTS, WEB_SERVER, WEB_SERVER_PACKAGES } from './rule-builders.js';

const ARGUMENTS = ['target', 'body', 'cookie'] as const;

/** SQL: a quote or number closing a value, then SQL that only an injection puts there. */
const SQL = [
  // Boolean tautologies and comparisons after a closed value: ' or '1'='1, 1 OR 1=1, ") or ("a"="a
  pcre(
    String.raw`(?:^|[=\s'"(),])[\w.-]*['"\d)]\s*(?:or|and|xor|\|\||&&|div)\s*[('"]?\s*[\w'"][\w'".-]*\s*(?:[=<>!]{1,3}|\blike\b|\brlike\b|\bregexp\b|\bis\s+(?:not\s+)?null\b|\bbetween\b)\s*['"(]?[\w'"-]`,
  ),
  pcre(String.raw`['"]\s*(?:or|and|xor|\|\||&&)\s*['"]?\s*(?:true|false|not|\d+)\b`),
  // UNION-based extraction.
  pcre(String.raw`\bunion\b(?:\s|/\*[^*]*\*/|\(|\+)+(?:all\s+|distinct\s+)?\(?\s*select\b`),
  // Stacked queries and statement terminators followed by another statement.
  pcre(
    String.raw`;\s*(?:drop|delete|insert|update|truncate|shutdown|exec(?:ute)?|declare|select|create|alter|waitfor|grant|load|rename|handler)\b`,
  ),
  // A quote closing the value and a comment dropping the rest of the query.
  pcre(String.raw`['"\d)]\s*(?:--(?:[\s&;-]|\z)|#|/\*|;\s*--|;\s*\z)`),
  // MySQL executable comments and version probes.
  pcre(String.raw`/\*!\d{0,6}\s*\w|@@(?:version|datadir|hostname|basedir)\b`),
  // Time-based and out-of-band probes, catalog and file access, string-building functions.
  pcre(
    String.raw`\b(?:sleep|benchmark|pg_sleep|extractvalue|updatexml|load_file|dbms_pipe\.receive_message|utl_inaddr\.get_host_address|utl_http\.request|xp_cmdshell|xp_dirtree|sp_executesql|sp_oacreate|char|chr|concat_ws|group_concat|json_keys|make_set|elt|name_const|exp|floor\s*\(\s*rand)\s*\(`,
  ),
  pcre(
    String.raw`\bwaitfor\s+(?:delay|time)\s+['"]|\binto\s+(?:out|dump)file\b|\binformation_schema\b|\b(?:sysobjects|syscolumns|sysusers|mysql\.user|pg_shadow|pg_catalog|sqlite_master|all_tables|user_tables)\b`,
  ),
  // SELECT ... FROM and other statement shapes with SQL punctuation around them.
  pcre(
    String.raw`\bselect\b\s*(?:\*|\(|\w+\s*\(|[\w.]+\s*,|@@|top\s+\d|distinct\b|null\b|\d+\s*,)[^;]{0,120}?\bfrom\b`,
  ),
  pcre(
    String.raw`\b(?:insert\s+into|delete\s+from|update\s+\w+\s+set|drop\s+(?:table|database)|alter\s+table|create\s+(?:table|user|function|procedure))\b`,
  ),
  pcre(
    String.raw`\b(?:order|group)\s+by\s+\d+\s*(?:--|#|/\*|\z)|\bhaving\s+\d+\s*=\s*\d+|\blimit\s+\d+\s*,\s*\d+\s*(?:--|#)`,
  ),
  pcre(
    String.raw`['"]\s*(?:\|\||\+|&)\s*['"]?\s*(?:\(|select\b|\w+\s*\()|\bcase\s+when\b.{0,80}?\bthen\b|\bif\s*\(\s*\d+\s*[=<>]`,
  ),
];

/** XSS: markup and script that a browser would run when the value is echoed into a page. */
const XSS = [
  // Active tags, also written as entities or escapes (how they reach XML bodies and JSON).
  pcre(
    String.raw`(?:<|&lt;?|&#0*60;?|&#x0*3c;?|\\u003c|\\x3c|%3c)\s*/?\s*(?:script|iframe|frame|frameset|object|embed|applet|svg|math|meta|base|link|style|form|isindex|marquee|xss|template|noscript|details|dialog|video|audio|body|img|input|button|textarea|keygen|v:\w+|a\s+href)\b`,
  ),
  pcre(
    String.raw`\bon(?:abort|blur|change|click|dblclick|error|focus\w*|input|key\w+|load\w*|mouse\w+|pointer\w+|touch\w+|drag\w*|drop|submit|reset|select\w*|resize|scroll|unload|beforeunload|hashchange|message|popstate|storage|toggle|wheel|animation\w+|transition\w+|copy|cut|paste|contextmenu|begin|end|repeat|show|start|finish|bounce|play\w*|pause|ended|canplay\w*|seek\w*|volumechange|webkit\w+|auxclick|formdata|search|invalid|afterprint|beforeprint|pageshow|pagehide|readystatechange|securitypolicyviolation|progress|timeupdate|waiting|emptied|stalled|suspend|ratechange|durationchange|fullscreen\w*|online|offline)\s*=|\bformaction\s*=|\bsrcdoc\s*=|\bxlink:href\s*=`,
  ),
  pcre(
    String.raw`(?:java|vb|live)\s*script\s*:|data\s*:\s*(?:text/html|image/svg|application/(?:x-)?(?:javascript|ecmascript))|\bdata\s*:\s*,|-moz-binding|\bbehavior\s*:|expression\s*\(|&(?:tab|newline|colon|lpar|rpar|nbsp);.{0,40}?(?:script|:|\()`,
  ),
  pcre(
    String.raw`\b(?:document\s*(?:/\*.*?\*/|\s)*\.\s*(?:cookie|domain|write|location|queryselector\w*|getelement\w*|body|forms)|window\s*\.\s*(?:location|open|name)|\.(?:innerhtml|outerhtml|textcontent)\s*=|\beval\s*\(|\balert\s*[(\x60]|\bprompt\s*[(\x60]|\bconfirm\s*[(\x60]|string\s*\.\s*fromcharcode|\batob\s*\(|settimeout\s*\(|setinterval\s*\(|\bconstructor\s*\(|top\s*\[\s*['"]|new\s+function\s*\(|\breflect\s*\.|\.call\s*\x60|\.apply\s*\()`,
  ),
  pcre(String.raw`<[a-z][\w:-]*\s[^>]*\b(?:style|href|src|action|data)\s*=\s*['"]?\s*(?:javascript|vbscript|data)`),
  pcre(
    String.raw`&#(?:x0*3c|0*60);?\s*[a-z/!]|%3c\s*[a-z/!]|\+adw-|%2badw-|\\u00[0-9a-f]{2}.{0,20}\\u00[0-9a-f]{2}|\[\]\s*\[|!\+\[\]|\(!\[\]\+\[\]\)|-->\s*\z|\s--!?>`,
  ),
  pcre(
    String.raw`<!\[cdata\[|<!--.*?-->.*?<|<\?xml[^>]*>\s*<[^>]*xmlns|\bxi:include\b|\bxsi:schemalocation\b|<!entity\b|<!doctype[^>]*\[|<\?import\b|@import\s*['"(u]`,
  ),
  pcre(String.raw`\burl\s*\(\s*['"]?\s*(?:javascript|vbscript|data)\s*:?|%u(?:ff1c|003c|2039|02c2)`),
];

/** Traversal: leaving the web root, in any encoding left after one decoding; files it aims for. */
const TRAVERSAL = [
  pcre(
    String.raw`(?:^|[\\/=:;?&'"\s])(?:\.|%2e|%c0%ae|%e0%80%ae|%u002e|%252e){2}(?:[\\/]|%2f|%5c|%c0%af|%c1%9c|%u2215|%u2216|%252f|%255c|;|\z)`,
  ),
  pcre(String.raw`(?:[\\/]|^|=)(?:\.+[\\/;]+){2,}|(?:\.\.\s*[\\/]\s*){2}`),
  pcre(
    String.raw`(?:^|[\\/=\s'"])(?:etc[\\/]+(?:passwd|shadow|group|gshadow|hosts|master\.passwd|issue|motd|sudoers|crontab|fstab|security[\\/])|proc[\\/]+(?:self|\d+)[\\/]|sys[\\/]+(?:class|kernel|block|devices)|var[\\/]+log[\\/]|root[\\/]+\.|windows[\\/]+(?:win\.ini|system32|system\.ini)|boot\.ini|winnt[\\/])`,
  ),
  pcre(
    String.raw`(?:^|[\\/])\.(?:git|svn|hg|bzr|env|aws|ssh|docker|kube|npmrc|pypirc|netrc|bash_history|zsh_history|mysql_history|psql_history|htpasswd|htaccess|ds_store|idea|vscode|config|gnupg|terraform|azure|gcloud|dockercfg|boto|s3cfg)(?:[\\/]|\z|\b)`,
  ),
  pcre(
    String.raw`(?:^|[\\/])(?:web-inf|meta-inf)[\\/]|(?:^|[\\/])(?:web\.config|wp-config\.php|config\.php\.bak|id_rsa|id_dsa|id_ecdsa|id_ed25519|authorized_keys|known_hosts|\.?credentials)(?:\z|[\s?&])`,
  ),
  pcre(
    String.raw`\b(?:php|file|zip|phar|expect|glob|data|zlib|compress\.zlib|compress\.bzip2|ogg|rar|ssh2(?:\.\w+)?)://`,
  ),
];

/** OS commands: a shell separator or substitution followed by a command an attacker runs. */
const COMMANDS = `(?:cat|tac|nl|head|tail|more|less|ls|dir|id|whoami|uname|hostname|ifconfig|ipconfig|netstat|ps|wget|curl|fetch|nc|ncat|netcat|socat|telnet|ssh|scp|bash|sh|zsh|ksh|csh|dash|python[23]?|perl|ruby|php|lua|node|powershell|pwsh|cmd|ping|nslookup|dig|host|traceroute|chmod|chown|rm|mv|cp|touch|mkdir|echo|printf|kill|pkill|sleep|timeout|base64|xxd|env|set|export|pwd|passwd|useradd|crontab|nohup|sudo|su|mkfifo|mknod|busybox|tftp|ftp|certutil|bitsadmin|wmic|reg|net|sc|tasklist|taskkill|systeminfo|type|find|grep|awk|sed|xargs|tee|dd|tar|zip|unzip|gcc|cc|make|java|nmap|time|who|w|last|getent|sysctl|mount|shutdown|reboot|halt|at|eval|exec|trap|wait|source|ll|cd|column|fold|comm|base32|flock|cpulimit|gdb|rmt|c89|c99|irb|tclsh|wish|vi|vim|ed|ex|nano|man|strace|ltrace|taskset|nice|ionice|stdbuf|unshare|chroot|script|expect|openssl|od|hexdump|split|paste|rev|sort|uniq|wc|cut|tr|iconv|diff|file|stat|readlink|lsof|pgrep|df|du|ip|arp|ss|tcpdump|iptables|nft|systemctl|journalctl|dmesg|apt-get|yum|dnf|pip|npm|gem|git|docker|kubectl)`;
const RCE = [
  // A value that is itself a command line: a command and an option or a path.
  pcre(String.raw`(?:^|=)\s*['"]?(?:\S*/)?${COMMANDS}['"]?\s+(?:-{1,2}[a-z]|[/~$]|\.{1,2}/)`),
  // After a shell separator, any program given an option, a path or a redirection.
  pcre(
    String.raw`(?:[;|\x60\n]|&&|\|\|)\s*['"]?[a-z][\w.+-]{0,30}['"]?\s+(?:-{1,2}[a-z]|/[a-z]|\\!|[<>]{1,3})|(?:[;|\x60\n]|&&)\s*cd\s`,
  ),
  // PowerShell cmdlets and their aliases used to fetch and run code.
  pcre(
    String.raw`\b(?:invoke-(?:webrequest|expression|command|restmethod|item|wmimethod|shellcode)|start-process|new-object\s+(?:system\.)?net\.webclient|downloadstring|downloadfile|set-executionpolicy|frombase64string)\b|(?:^|[\s;|&(])(?:iex|iwr|iwmi|irm|saps)\s*[\s(]`,
  ),
  // Shell expansions that build a command or a path: globs in a path, arithmetic, process substitution.
  pcre(
    String.raw`/[\w.-]*\[!?\^?[\w?./-]{1,12}\][\w.-]*|/\?[\w?]*/|\$\[|\$\(\(|\$\{\s*[a-z_]{0,20}\s*[#%:}]|[<>]\(\s*[a-z]`,
  ),
  pcre(String.raw`(?:[;|\x60\n\r]|&&|\|\||\$\(|^\s*&)\s*(?:\S*/)?${COMMANDS}(?:\.exe)?\b`),
  pcre(
    String.raw`\$\(\s*[\w/.-]+[^)]{0,120}\)|\x60\s*[\w/.-]+[^\x60]{0,120}\x60|\$\{IFS\}|\$IFS\b|\$\{(?:PATH|HOME|SHELL):\d|<\(\s*\w`,
  ),
  pcre(
    String.raw`(?:/usr)?/s?bin/(?:ba|da|z|k|c|tc)?sh\b|/bin/(?:busybox|nc|cat|echo|id|ls|python|perl)\b|\bcmd(?:\.exe)?\s*/[ck]\b|\bpowershell(?:\.exe)?\s+-|\b(?:bash|sh)\s+-[ci]\b|>\s*/dev/(?:tcp|udp)/|\bnc\s+(?:-[\w]+\s+)*[\w.]+\s+\d+\s+-[ec]\b`,
  ),
  pcre(
    String.raw`\b(?:system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|assert|create_function|call_user_func(?:_array)?|preg_replace)\s*\(|\brequire(?:_once)?\s*\(?\s*['"]?(?:https?|ftp|php|data)://`,
  ),
  pcre(
    String.raw`(?:\b(?:for|if)\s+(?:/[fdlr]\s)?%{1,2}\w+\b.{0,80}?\bdo\b)|(?:%\w+%\s+(?:equ|neq|lss|gtr)\b)|(?:\bset\s+/[ap]\b)|(?:\bcall\s+:\w)`,
  ),
  pcre(
    String.raw`[;|&]\s*\w+\s+(?:-[a-z]{1,4}\s+)*(?:/etc/|/tmp/|/var/|/dev/|\\\\|[a-z]:\\)|'[a-z]'[a-z]+|[a-z]''[a-z]|[a-z]\\[a-z]{1,}\s`,
  ),
];

const web = (partial: Omit<IpsRule, 'format' | 'applicationType' | 'recommendWhen'>): IpsRule => ({
  format: 'bulwark',
  applicationType: WEB_SERVER,
  recommendWhen: { listeningPorts: WEB_PORTS, packages: WEB_SERVER_PACKAGES },
  ...partial,
});

export const WEB_ATTACK_RULES: readonly IpsRule[] = [
  web({
    id: 'bw-1000200',
    name: 'SQL injection',
    description:
      "A request parameter, form field or cookie carries SQL that ends the value an application quotes and adds its own: tautologies (' or 1=1), UNION SELECT, stacked statements, comments that drop the rest of a query, time-based probes (SLEEP, BENCHMARK, WAITFOR DELAY), catalog reads (information_schema) and file access (INTO OUTFILE, LOAD_FILE).",
    severity: 'high',
    detection: { kind: 'suricata-any', rules: inPlaces(9_120_000, 'SQL injection', ARGUMENTS, SQL) },
  }),
  web({
    id: 'bw-1000210',
    name: 'LDAP injection',
    description:
      'A parameter, form field or cookie closes an LDAP filter and opens another: ")(uid=*)", ")(|(", "*)(&" — the shapes that turn a directory lookup into "any user" or leak attributes.',
    severity: 'high',
    detection: {
      kind: 'suricata-any',
      rules: inPlaces(9_121_000, 'LDAP injection', ARGUMENTS, [
        // A value that closes a filter it did not open, then opens or combines another.
        pcre(
          String.raw`(?:^|[;&?]\s*)[\w.\[\]-]{0,60}=[^(=&;]{0,200}\)\s*(?:\(|[|&!]\s*\()|(?:^|[;&?]\s*)[\w.\[\]-]{0,60}=[^(=&;]{0,200}\*\s*\)\s*[(|&!]`,
        ),
      ]),
    },
  }),
  web({
    id: 'bw-1000300',
    name: 'Cross-site scripting',
    description:
      'A request parameter, form field, cookie or header carries markup or script a browser would run if the application echoed it: script and active tags, event handlers (onerror=, onload=), javascript: and data: URLs, DOM sinks (document.cookie, eval) and encoded angle brackets.',
    severity: 'high',
    detection: {
      kind: 'suricata-any',
      rules: inPlaces(9_130_000, 'Cross-site scripting', [...ARGUMENTS, 'headers'], XSS),
    },
  }),
  web({
    id: 'bw-1000400',
    name: 'Path traversal and local file inclusion',
    description:
      'The request path, a parameter, form field, cookie or header climbs out of the web root (../ in plain, encoded, double-encoded or overlong UTF-8 form), names system files (/etc/passwd, /proc/self/, win.ini), secrets and repository folders left in the web root (.git/, .env, WEB-INF/), or a PHP stream wrapper (php://filter, phar://) to include a file.',
    severity: 'high',
    detection: {
      kind: 'suricata-any',
      rules: inPlaces(9_140_000, 'Path traversal', [...ARGUMENTS, 'headers'], TRAVERSAL),
    },
  }),
  web({
    id: 'bw-1000500',
    name: 'OS command injection',
    description:
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the text names Log4j and shell syntax, not a template
      'A parameter, form field, cookie or User-Agent carries shell syntax that runs a command where the application passes the value to a shell: a separator (; | && `) or substitution ($(...), backticks, ${IFS}) followed by a command, shell paths (/bin/sh), cmd /c and PowerShell, reverse-shell forms, Windows batch constructs and PHP functions that execute commands.',
    severity: 'critical',
    detection: {
      kind: 'suricata-any',
      rules: inPlaces(9_150_000, 'OS command injection', [...ARGUMENTS, 'userAgent'], RCE),
    },
  }),
];
