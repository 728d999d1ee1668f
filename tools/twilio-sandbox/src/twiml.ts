import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * TwiML (voice) parsing: the verbs the sandbox executes, with every attribute
 * kept as written so call reports can show exactly what the application asked
 * for. Unknown verbs are kept (kind `unsupported`) and skipped when run, the
 * way Twilio skips nothing but we do not imitate every verb.
 */

export interface RelayTwiml {
  /** Every attribute of `<ConversationRelay>` as written (url, welcomeGreeting, voice, ...). */
  attributes: Record<string, string>;
  /** `<Parameter name value/>` children, in `setup.customParameters`. */
  parameters: Record<string, string>;
}

export type Verb =
  | { kind: 'say'; text: string; attributes: Record<string, string> }
  | { kind: 'pause'; length: number }
  | { kind: 'hangup' }
  | { kind: 'reject'; reason: string }
  | { kind: 'connect'; attributes: Record<string, string>; relay: RelayTwiml | null }
  | { kind: 'unsupported'; name: string; attributes: Record<string, string> };

export class TwimlError extends Error {}

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
});

/** The element name of a preserveOrder node (the key that is not `:@`). */
function tagOf(node: XmlNode): string {
  return Object.keys(node).find((k) => k !== ':@') ?? '';
}

function attrsOf(node: XmlNode): Record<string, string> {
  const raw = node[':@'];
  const out: Record<string, string> = {};
  if (raw && typeof raw === 'object') {
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) out[k] = String(v);
  }
  return out;
}

function childrenOf(node: XmlNode): XmlNode[] {
  const value = node[tagOf(node)];
  return Array.isArray(value) ? (value as XmlNode[]) : [];
}

function textOf(node: XmlNode): string {
  return childrenOf(node)
    .map((c) => (tagOf(c) === '#text' ? String(c['#text']) : ''))
    .join('')
    .trim();
}

function relayOf(connect: XmlNode): RelayTwiml | null {
  const relay = childrenOf(connect).find((c) => tagOf(c) === 'ConversationRelay');
  if (!relay) return null;
  const parameters: Record<string, string> = {};
  for (const child of childrenOf(relay)) {
    if (tagOf(child) !== 'Parameter') continue;
    const a = attrsOf(child);
    if (a.name !== undefined) parameters[a.name] = a.value ?? '';
  }
  return { attributes: attrsOf(relay), parameters };
}

function verbOf(node: XmlNode): Verb | null {
  const name = tagOf(node);
  const attributes = attrsOf(node);
  switch (name) {
    case '#text':
      return null;
    case 'Say':
      return { kind: 'say', text: textOf(node), attributes };
    case 'Pause': {
      const length = attributes.length === undefined ? 1 : Number(attributes.length);
      return { kind: 'pause', length: Number.isFinite(length) && length >= 0 ? length : 1 };
    }
    case 'Hangup':
      return { kind: 'hangup' };
    case 'Reject':
      return { kind: 'reject', reason: attributes.reason === 'busy' ? 'busy' : 'rejected' };
    case 'Connect':
      return { kind: 'connect', attributes, relay: relayOf(node) };
    default:
      return { kind: 'unsupported', name, attributes };
  }
}

/** Parses a voice TwiML document; throws TwimlError when Twilio would call it unparseable. */
export function parseTwiml(text: string): Verb[] {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new TwimlError(`invalid XML: ${valid.err.msg} (line ${valid.err.line})`);
  const doc = parser.parse(text) as XmlNode[];
  const roots = doc.filter((n) => tagOf(n) !== '#text');
  if (roots.length !== 1 || tagOf(roots[0]) !== 'Response') {
    throw new TwimlError('the document element must be <Response>');
  }
  const verbs: Verb[] = [];
  for (const child of childrenOf(roots[0])) {
    const verb = verbOf(child);
    if (verb) verbs.push(verb);
  }
  return verbs;
}
