import { execFileSync } from 'node:child_process';
import {
  Secret,
  bodyAsShellWord,
  bodyToSend,
  curlCommand,
  hideKeySecrets,
  mask,
  prettyJson,
  shellQuote,
} from './render';

/** What a POSIX shell makes of `word`, with `vars` set. */
function shellEval(word: string, vars: Record<string, string> = {}): string {
  return execFileSync('sh', ['-c', `printf '%s' ${word}`], { env: { ...process.env, ...vars } }).toString();
}

describe('demo rendering', () => {
  it('quotes shell words so the shell gives back the original text', () => {
    for (const s of ['plain', "it's", 'a b', '$HOME', '"x"', 'http://h/p?a=1&b=2']) {
      expect(shellEval(shellQuote(s))).toBe(s);
    }
  });

  it('shows secrets in a body as shell variables, and the shell splices in their value', () => {
    const token = new Secret('TWILIO_TOKEN', 'abc123');
    const body = { twilio_sid: 'AC1', twilio_token: token, note: "O'Brien" };
    const word = bodyAsShellWord(body);
    expect(word).not.toContain('abc123');
    expect(word).toContain('"$TWILIO_TOKEN"');
    expect(shellEval(word, { TWILIO_TOKEN: 'abc123' })).toBe(bodyToSend(body));
    expect(JSON.parse(bodyToSend(body))).toEqual({
      twilio_sid: 'AC1',
      twilio_token: 'abc123',
      note: "O'Brien",
    });
  });

  it('renders a curl with the bearer as a variable, never its value', () => {
    const cmd = curlCommand({
      method: 'POST',
      url: 'http://localhost:3000/v1/agents',
      bearer: new Secret('API_KEY', 'key_1:sk_secret'),
      body: { name: 'A' },
    });
    expect(cmd).toBe(
      [
        '$ curl -sS -X POST http://localhost:3000/v1/agents \\',
        '    -H "Authorization: Bearer $API_KEY" \\',
        "    -H 'Content-Type: application/json' \\",
        `    -d '{"name":"A"}'`,
      ].join('\n'),
    );
    expect(curlCommand({ method: 'GET', url: 'http://h/x?a=1' })).toBe(`$ curl -sS 'http://h/x?a=1'`);
  });

  it('masks tokens, abbreviates API keys and hides known secret values anywhere', () => {
    expect(
      mask(
        {
          auth_token: 'tok',
          api_key: 'key_0123456789abcdef:sk_0123456789abcdefghij',
          nested: [{ twilio_token: 'x', text: 'contains s3cr3t here' }],
        },
        ['s3cr3t'],
      ),
    ).toEqual({
      auth_token: '****',
      api_key: 'key_0123456789abcdef:sk_0123…',
      nested: [{ twilio_token: '****', text: 'contains **** here' }],
    });
  });

  it('trims long JSON and says how much was left out', () => {
    const text = prettyJson({ list: Array.from({ length: 50 }, (_, i) => i) }, 10);
    expect(text.split('\n')).toHaveLength(11);
    expect(text).toMatch(/… \(44 more lines\)$/);
  });
});

describe('hideKeySecrets', () => {
  it('cuts every API key secret, base64url alphabet included', () => {
    expect(hideKeySecrets('{"api_key":"key_0a:sk_r0iX-Fx_mG9"} and sk_abc')).toBe(
      '{"api_key":"key_0a:sk_****"} and sk_****',
    );
  });
});
