// Pure (no Node.js module): the web console renders the same script in the browser.
/**
 * `bulwark tokens create --script`: a shell script that installs the agent on a host and activates
 * it, as Deep Security's deployment scripts do. It downloads the agent package from the manager
 * (GET /agent-package/<file> on the console port) trusting only the manager's CA, which it
 * carries, installs it with dpkg, and activates with the CA fingerprint pinned. The token travels
 * in the environment, never on a command line (ps).
 */
export interface DeploymentScriptInput {
  /** The console URL the script downloads from (the URL the CLI talks to). */
  readonly consoleUrl: URL;
  /** The agent port URL the agent activates against. */
  readonly agentUrl: URL;
  readonly packageFile: string;
  readonly caPem: string;
  readonly caSha256: string;
  readonly token: string;
  readonly tokenId: string;
  readonly createdAt: Date;
}

/** A single-quoted shell word: nothing in it is expanded. */
function shellWord(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function origin(url: URL): string {
  return url.href.replace(/\/+$/, '');
}

export function renderDeploymentScript(input: DeploymentScriptInput): string {
  const pem = input.caPem.trim();
  return `#!/bin/sh
# Bulwark agent deployment script, made by \`bulwark tokens create --script\` at ${input.createdAt.toISOString()}.
# Installs the agent package from the manager and activates the agent with token ${input.tokenId}.
# Run it as root on a Debian 12 (amd64) host: sh ./deploy-bulwark-agent.sh
# It holds an activation token: keep it as secret as the token.
set -eu

MANAGER_CONSOLE=${shellWord(origin(input.consoleUrl))}
MANAGER_AGENT=${shellWord(origin(input.agentUrl))}
PACKAGE=${shellWord(input.packageFile)}
CA_SHA256=${shellWord(input.caSha256)}
BULWARK_ACTIVATION_TOKEN=${shellWord(input.token)}
export BULWARK_ACTIVATION_TOKEN

fail() { echo "bulwark deployment: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "run this script as root"
[ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ] || fail "this script installs the amd64 package; this host is not a Debian amd64 system"
command -v curl >/dev/null 2>&1 || fail "curl is needed to download the agent package (apt-get install curl)"

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT

# The manager's CA (SHA-256 $CA_SHA256): the only certificate authority the download trusts.
cat > "$workdir/manager-ca.crt" <<'BULWARK_CA'
${pem}
BULWARK_CA

echo "Downloading $PACKAGE from $MANAGER_CONSOLE"
curl --fail --silent --show-error --proto '=https' --cacert "$workdir/manager-ca.crt" \\
  --output "$workdir/$PACKAGE" "$MANAGER_CONSOLE/agent-package/$PACKAGE" \\
  || fail "could not download $MANAGER_CONSOLE/agent-package/$PACKAGE (see curl's message above)"

dpkg -i "$workdir/$PACKAGE" || fail "dpkg could not install $PACKAGE"

bulwark-agent activate --manager "$MANAGER_AGENT" --ca-fingerprint "$CA_SHA256" \\
  || fail "the agent was installed but not activated (see above); run bulwark-agent activate again with a new token"

if [ -d /run/systemd/system ]; then
  systemctl enable --now bulwark-agent.service
  echo "The Bulwark agent is activated and running (systemctl status bulwark-agent)."
else
  echo "The Bulwark agent is activated. systemd is not running here: start it with: bulwark-agent run"
fi
`;
}
