/**
 * Our rules against named vulnerabilities and tools: Log4Shell lookups (with the obfuscations
 * attackers use), Shellshock, PHP and Java deserialization payloads, scanners and attack tools
 * that announce themselves in the User-Agent.
 */
import type { IpsRule } from '../engine/index.js';
import { content, inPlaces, pcre, WEB_PORTS, WEB_SERVER, WEB_SERVER_PACKAGES } from './rule-builders.js';

const EVERYWHERE = ['target', 'body', 'cookie', 'headers'] as const;

/** One character of `jndi:` written plainly or as a nested lookup (${lower:j}, ${::-j}, ${env:X:-j}). */
const c = (ch: string) => String.raw`(?:${ch}|\$\{[^{}]{0,60}\})`;
const JNDI = [
  content('${', 'fast_pattern;') +
    ' ' +
    pcre(String.raw`\$\{\s*${c('j')}\s*${c('n')}\s*${c('d')}\s*${c('i')}\s*${c(':')}`),
  // Any Log4j lookup in a request: no client has a reason to send one.
  pcre(
    String.raw`\$\{\s*(?:jndi|ctx|env|sys|main|date|java|lower|upper|base64|bundle|docker|k8s|log4j|marker|map|sd|spring|web|jvmrunargs|event|::-)\s*:`,
  ),
  pcre(String.raw`\$\{\s*\$\{`),
  // The lookup's braces written as JSON or JavaScript escapes, or percent-encoded twice.
  pcre(String.raw`(?:\$|\\u0024)(?:\\u007b|%7b)\s*(?:j|\\u006a|\$)`),
];

const SHELLSHOCK = [`${content('() {', '')} ${pcre(String.raw`\(\s*\)\s*\{[^}]{0,200}[;}]`, '')}`];

const PHP_OBJECT = [
  pcre(String.raw`(?:^|[=;{\s"'])[oc]:\d{1,5}:"[\w\\]{1,200}":\d{1,5}:\{`),
  pcre(String.raw`(?:^|[=\s"'])a:\d{1,5}:\{(?:i|s):\d{1,9}[:;]`),
  pcre(String.raw`\bphar://`),
];

/** The stable base64 text of `word` at each byte alignment (what it looks like inside any base64). */
function base64Forms(word: string): string[] {
  return [0, 1, 2].map((shift) => {
    const encoded = Buffer.from(`${'\0'.repeat(shift)}${word}`, 'latin1').toString('base64');
    const stableStart = [0, 2, 3][shift] as number;
    const stableEnd = Math.floor((shift + word.length) / 3) * 4;
    return encoded.slice(stableStart, stableEnd);
  });
}
const JAVA_WORDS = [
  'java.lang.Runtime',
  'ProcessBuilder',
  'getRuntime',
  'InvokerTransformer',
  'ChainedTransformer',
  'InstantiateTransformer',
  'InstantiateFactory',
  'CloneTransformer',
  'ForClosure',
  'WhileClosure',
  'PrototypeCloneFactory',
  'PrototypeSerializationFactory',
  'TemplatesImpl',
  'JdbcRowSetImpl',
  'ObjectInputStream',
  'commons.collections',
  'runtime',
  'processbuilder',
  'clonetransformer',
  'forclosure',
  'whileclosure',
  'instantiatefactory',
  'instantiatetransformer',
  'invokertransformer',
  'prototypeclonefactory',
  'prototypeserializationfactory',
];
const BASE64_JAVA = `(?:${[...new Set(JAVA_WORDS.flatMap(base64Forms))].filter((f) => f.length >= 8).join('|')})`;

const JAVA = [
  // A serialized Java object (stream magic AC ED 00 05), raw or in base64.
  'content:"|ac ed 00 05|";',
  pcre(String.raw`(?:^|[=\s"'>])ro0ab|h4siaaaaaaaa`),
  pcre(
    String.raw`\b(?:java\.lang\.(?:runtime|processbuilder|reflect|class(?:loader)?|system|thread)|java\.io\.(?:objectinputstream|file|fileoutputstream|filteroutputstream)|java\.net\.(?:url|socket)|javax\.(?:script|naming|management)|java\.beans\.xmldecoder|processbuilder|runtime\s*\.\s*getruntime|getruntime\s*\(\s*\)\s*\.\s*exec)\b`,
  ),
  pcre(
    String.raw`\b(?:org\.apache\.commons\.(?:collections|beanutils)|invokertransformer|chainedtransformer|constanttransformer|instantiatetransformer|instantiatefactory|clonetransformer|forclosure|prototypeserializationfactory|prototypeclonefactory|templatesimpl|com\.sun\.org\.apache\.xalan|com\.sun\.rowset\.jdbcrowsetimpl|org\.springframework\.beans|bsh\.interpreter|groovy\.util|org\.codehaus\.groovy|ysoserial|c3p0|com\.mchange|jdk\.jfr|sun\.rmi)\b`,
  ),
  pcre(
    String.raw`\bjava\.[\w.]{0,40}(?:runtime|processbuilder|classloader)\b|\bcom\.opensymphony\.xwork2|\bognl\.|\bjavax?\.[\w.]{0,40}(?:scriptengine|naming\.initialcontext)`,
  ),
  // Fully qualified names in the packages gadget chains and exploit payloads are built from.
  pcre(
    String.raw`\b(?:java\.(?:lang|io|net|nio|util|rmi|beans|security)\.[a-z]|javax\.[a-z]+\.|sun\.[a-z]+\.|com\.sun\.[a-z]|org\.omg\.[a-z]|com\.bea\.[a-z]|org\.springframework\.[a-z]|org\.apache\.(?:commons|xalan|xerces|struts2?|tomcat|catalina|naming|log4j|bcel|myfaces|wicket|shiro)\b|org\.codehaus\.|org\.hibernate\.|org\.jboss\.|weblogic\.[a-z]|com\.ibm\.websphere|oracle\.jdbc|bsh\.[a-z])|\b(?:runtime|processbuilder)\s*\.\s*(?:exec|getruntime|start|\w*(?:transformer|closure|factory))\b`,
  ),
  // The same class and gadget names written in base64 (at each of the three byte alignments).
  pcre(BASE64_JAVA, ''),
  // Struts/OGNL and Spring expression injection, Spring4Shell's class loader path.
  pcre(
    String.raw`%\{[^}]{0,200}(?:#_memberaccess|@java\.lang|#context|\.getclass\(|new\s+java)|\bclass\s*\.\s*module\s*\.\s*classloader|\bT\s*\(\s*java\.lang|#\{[^}]{0,100}(?:getclass|runtime|exec)\b`,
  ),
];

const SCANNERS = String.raw`(?:sqlmap|nikto|nmap|masscan|zgrab|nuclei|acunetix|netsparker|invicti|wpscan|dirbuster|gobuster|feroxbuster|ffuf|wfuzz|hydra|havij|w3af|openvas|nessus|burpsuite|burp collaborator|owasp zap|zaproxy|whatweb|arachni|skipfish|commix|jaeles|xsstrike|fimap|sqlninja|joomscan|droopescan|\bdirb\b|medusa|metasploit|paros|webinspect|appscan|qualys|morfeus|zmeu|jorgee|nuclei|httpx - open-source|censysinspect|l9explore|masscan-ng|brutus|grabber|pangolin|vega/|webshag|uniscan|bbqsql|sqlsus|absinthe|blackwidow|teh forest lobster|struts-pwn|log4j-scan)`;

const web = (partial: Omit<IpsRule, 'format' | 'applicationType' | 'recommendWhen'>, packages?: string[]): IpsRule => ({
  format: 'bulwark',
  applicationType: WEB_SERVER,
  recommendWhen: { listeningPorts: WEB_PORTS, packages: packages ?? WEB_SERVER_PACKAGES },
  ...partial,
});

export const THREAT_RULES: readonly IpsRule[] = [
  web(
    {
      id: 'bw-1000600',
      name: 'Log4Shell: JNDI lookup in a request (CVE-2021-44228)',
      description:
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the text names Log4j and shell syntax, not a template
        'A request carries a Log4j lookup (${jndi:ldap://...}) that makes a vulnerable Log4j 2 load and run remote code when it logs the value; also its obfuscated forms (${${lower:j}ndi:...}, ${${::-j}ndi:...}, ${${env:X:-j}ndi:...}) and other lookups (${env:...}, ${sys:...}) used to probe and leak. Looks in the target, the form body, cookies and every header.',
      severity: 'critical',
      cve: ['CVE-2021-44228', 'CVE-2021-45046'],
      cvss: 10,
      detection: { kind: 'suricata-any', rules: inPlaces(9_160_000, 'Log4Shell', EVERYWHERE, JNDI) },
    },
    ['liblog4j2-java', 'tomcat9', 'tomcat10', 'jetty9', 'openjdk-17-jre-headless', 'openjdk-11-jre-headless'],
  ),
  web(
    {
      id: 'bw-1000601',
      name: 'Shellshock: function definition in a request (CVE-2014-6271)',
      description:
        'A header or parameter starts with a bash function definition "() {", which a vulnerable bash (before 4.3 patch 25) runs the trailing command of when a CGI program receives it as an environment variable.',
      severity: 'critical',
      cve: ['CVE-2014-6271', 'CVE-2014-7169'],
      cvss: 9.8,
      detection: { kind: 'suricata-any', rules: inPlaces(9_161_000, 'Shellshock', EVERYWHERE, SHELLSHOCK) },
    },
    ['bash', 'apache2'],
  ),
  web(
    {
      id: 'bw-1000700',
      name: 'PHP object injection (unserialize payload)',
      description:
        'A parameter, form field or cookie carries a serialized PHP object (O:8:"Class":1:{...}) or array, or a phar:// path: passed to unserialize() (or a file function on a phar), it instantiates attacker-chosen classes whose magic methods run code.',
      severity: 'high',
      detection: {
        kind: 'suricata-any',
        rules: inPlaces(9_170_000, 'PHP object injection', ['target', 'body', 'cookie'], PHP_OBJECT),
      },
    },
    ['php', 'php-fpm', 'libapache2-mod-php', 'php8.2-fpm', 'php8.2'],
  ),
  web(
    {
      id: 'bw-1000701',
      name: 'Java deserialization and expression injection payload',
      description:
        'A request carries a serialized Java object (AC ED 00 05, rO0AB in base64), the classes of known gadget chains (Commons Collections transformers, TemplatesImpl, JdbcRowSetImpl...), Java runtime classes used to run commands (java.lang.Runtime, ProcessBuilder), or OGNL/SpEL expressions that reach them (Struts, Spring, Spring4Shell class.module.classLoader).',
      severity: 'critical',
      cve: ['CVE-2015-4852', 'CVE-2017-5638', 'CVE-2022-22965'],
      cvss: 9.8,
      detection: { kind: 'suricata-any', rules: inPlaces(9_171_000, 'Java deserialization', EVERYWHERE, JAVA) },
    },
    ['tomcat9', 'tomcat10', 'jetty9', 'openjdk-17-jre-headless', 'openjdk-11-jre-headless'],
  ),
  web({
    id: 'bw-1000800',
    name: 'Scanner or attack tool',
    description:
      'The User-Agent names a vulnerability scanner, brute-forcer or exploitation tool (sqlmap, Nikto, Nmap scripts, Nuclei, WPScan, gobuster, Hydra...). Such traffic is reconnaissance before an attack; legitimate scans by your own team can be excluded by an exception or by unassigning the rule.',
    severity: 'medium',
    detection: {
      kind: 'suricata',
      rule: `alert http any any -> any any (msg:"Scanner user agent"; flow:to_server; http.user_agent; ${pcre(SCANNERS)} sid:9180000; rev:1;)`,
    },
  }),
];
