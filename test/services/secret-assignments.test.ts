/**
 * Redaction of secret-looking assignments (secrets Troop never saw, such as the lab's own hub
 * token): realistic `env` output, an `os.environ` repr and JSON, in raw text and serialized as
 * JSON (records, `.ipynb` files); ordinary text untouched; linear time on hostile input.
 */
import { describe, expect, it } from "vitest";
import { isSecretName, redactSecretAssignments } from "../../src/services/secret-assignments.js";
import { SecretScrubber } from "../../src/services/secrets.js";

const LAB_TOKEN = "5f1c0d9e8b7a46c3a2e1f0d9c8b7a6e5";

/** What `!env` prints in a JupyterHub single-user server (trimmed). */
const ENV_OUTPUT = `SHELL=/bin/bash
JUPYTERHUB_API_TOKEN=${LAB_TOKEN}
JPY_API_TOKEN=${LAB_TOKEN}
JUPYTERHUB_API_URL=http://127.0.0.1:8081/hub/api
JUPYTERHUB_CLIENT_ID=jupyterhub-user-bot-nb1
JUPYTERHUB_USER=bot-nb1
AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
DB_PASSWORD=correct horse battery staple
OPENAI_API_KEY=sk-abc123
PATH=/opt/conda/bin:/usr/local/bin:/usr/bin
LS_COLORS=rs=0:di=01;34:ln=01;36
HOME=/home/bot-nb1
`;

const ENV_REDACTED = `SHELL=/bin/bash
JUPYTERHUB_API_TOKEN=[REDACTED]
JPY_API_TOKEN=[REDACTED]
JUPYTERHUB_API_URL=http://127.0.0.1:8081/hub/api
JUPYTERHUB_CLIENT_ID=jupyterhub-user-bot-nb1
JUPYTERHUB_USER=bot-nb1
AWS_SECRET_ACCESS_KEY=[REDACTED]
DB_PASSWORD=[REDACTED]
OPENAI_API_KEY=[REDACTED]
PATH=/opt/conda/bin:/usr/local/bin:/usr/bin
LS_COLORS=rs=0:di=01;34:ln=01;36
HOME=/home/bot-nb1
`;

/** What `print(os.environ)` prints (a Python mapping repr, one line). */
const ENVIRON_REPR = `environ({'SHELL': '/bin/bash', 'JUPYTERHUB_API_TOKEN': '${LAB_TOKEN}', 'JUPYTERHUB_USER': 'bot-nb1', 'GH_TOKEN': "it's-a-token", 'HOME': '/home/bot-nb1'})`;

describe("redactSecretAssignments", () => {
  it("redacts the secret-looking variables of realistic env output and keeps the others", () => {
    expect(redactSecretAssignments(ENV_OUTPUT)).toBe(ENV_REDACTED);
  });

  it("redacts the values of a Python os.environ repr, whichever quotes it uses", () => {
    expect(redactSecretAssignments(ENVIRON_REPR)).toBe(
      "environ({'SHELL': '/bin/bash', 'JUPYTERHUB_API_TOKEN': '[REDACTED]', 'JUPYTERHUB_USER': 'bot-nb1', 'GH_TOKEN': \"[REDACTED]\", 'HOME': '/home/bot-nb1'})",
    );
  });

  it("redacts JSON, NAME: value and shell-quoted forms", () => {
    expect(redactSecretAssignments(`{"JUPYTERHUB_API_TOKEN": "${LAB_TOKEN}", "USER": "bot"}`)).toBe('{"JUPYTERHUB_API_TOKEN": "[REDACTED]", "USER": "bot"}');
    expect(redactSecretAssignments(`SLACK_SECRET: xoxb-123\nNAME: bot`)).toBe("SLACK_SECRET: [REDACTED]\nNAME: bot");
    expect(redactSecretAssignments(`declare -x JPY_API_TOKEN="${LAB_TOKEN}"`)).toBe('declare -x JPY_API_TOKEN="[REDACTED]"');
    expect(redactSecretAssignments(`PATH=/usr/bin HF_TOKEN=hf_abc`)).toBe("PATH=/usr/bin HF_TOKEN=[REDACTED]");
  });

  it("redacts env output and a repr serialized as JSON (records, .ipynb outputs) and keeps the JSON valid", () => {
    const notebookOutput = { outputs: [{ output_type: "stream", name: "stdout", text: ENV_OUTPUT.split(/(?<=\n)/) }, { output_type: "execute_result", data: { "text/plain": [ENVIRON_REPR] } }] };
    const json = redactSecretAssignments(JSON.stringify(notebookOutput));
    expect(json).not.toContain(LAB_TOKEN);
    expect(json).not.toContain("it's-a-token");
    const back = JSON.parse(json) as typeof notebookOutput;
    expect(back.outputs[0]!.text!.join("")).toBe(ENV_REDACTED);
    const oneString = JSON.stringify({ text: ENV_OUTPUT.replaceAll("\n", "\r\n") }); // how IPython keeps `!env` output
    expect(JSON.parse(redactSecretAssignments(oneString)).text).toBe(ENV_REDACTED.replaceAll("\n", "\r\n"));
    expect(redactSecretAssignments(JSON.stringify({ t: "x\tA_TOKEN=v\n" }))).toBe('{"t":"x\\tA_TOKEN=[REDACTED]\\n"}');
    expect(redactSecretAssignments(JSON.stringify({ e: `{"A_TOKEN": "v"}` }))).toBe('{"e":"{\\"A_TOKEN\\": \\"[REDACTED]\\"}"}');
  });

  it("leaves ordinary text, code and non-secret names alone", () => {
    const ordinary = [
      "Traceback (most recent call last):\n  KeyError: 'JUPYTERHUB_API_TOKEN'",
      'token = os.environ["JUPYTERHUB_API_TOKEN"]\nAPI_TOKEN = get_token()',
      "the token: expired; password: incorrect; secret=42",
      "myTOKEN=abc TOKENS_URL_x",
      "PATH=/usr/bin\nKEYBOARD=us\nMONKEY=1\nJUPYTERHUB_API_URL=http://hub/api",
      "JUPYTERHUB_API_TOKEN=\nEMPTY_SECRET: ",
      "Ünïcode ✓ 😀 TOKEN",
    ];
    for (const text of ordinary) expect(redactSecretAssignments(text)).toBe(text);
  });

  it("is idempotent", () => {
    const once = redactSecretAssignments(ENV_OUTPUT + ENVIRON_REPR);
    expect(redactSecretAssignments(once)).toBe(once);
  });

  it("runs in linear time on hostile input (long name runs, many separators, unclosed quotes)", () => {
    const hostile = ["A".repeat(1_000_000), "A_TOKEN".repeat(150_000), "A=".repeat(500_000), "'A_TOKEN': '".repeat(80_000), "A_TOKEN : : ".repeat(90_000), `${"A".repeat(50)} `.repeat(20_000)];
    for (const text of hostile) {
      const started = performance.now();
      redactSecretAssignments(text);
      expect(performance.now() - started).toBeLessThan(500);
    }
  });
});

describe("isSecretName", () => {
  it("matches *TOKEN*, *SECRET*, *PASSWORD*, *API_KEY* and *_KEY, not other names", () => {
    for (const name of ["JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN", "TOKEN", "CLIENT_SECRET", "PGPASSWORD", "OPENAI_API_KEY", "SSH_KEY", "API_KEY_2"]) expect(isSecretName(name)).toBe(true);
    for (const name of ["PATH", "HOME", "KEYBOARD", "JUPYTERHUB_USER", "MONKEY", "KEY"]) expect(isSecretName(name)).toBe(false);
  });
});

describe("SecretScrubber.scrubOutput", () => {
  it("redacts known secrets anywhere and secret-looking assignments of unknown ones", () => {
    const s = new SecretScrubber();
    s.add("known-bot-token-0123456789");
    expect(s.scrubOutput(`echo known-bot-token-0123456789\nJUPYTERHUB_API_TOKEN=${LAB_TOKEN}\n`)).toBe("echo [REDACTED]\nJUPYTERHUB_API_TOKEN=[REDACTED]\n");
    expect(s.scrub(`JUPYTERHUB_API_TOKEN=${LAB_TOKEN}`)).toContain(LAB_TOKEN); // scrub alone: known secrets only
  });
});
