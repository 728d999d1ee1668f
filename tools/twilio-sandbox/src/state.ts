import type { Call } from './calls';
import type { CallScript } from './call-script';
import type { MessageStatus } from './recipient-rules';

/** In-memory state of the sandbox. Nothing is persisted. */

export interface Account {
  sid: string;
  authToken: string;
  friendlyName: string;
  parentSid: string | null;
  status: 'active' | 'suspended' | 'closed';
  dateCreated: Date;
  dateUpdated: Date;
}

export interface PhoneNumber {
  sid: string;
  accountSid: string;
  phoneNumber: string;
  friendlyName: string;
  voiceUrl: string;
  voiceMethod: string;
  voiceFallbackUrl: string;
  voiceFallbackMethod: string;
  smsUrl: string;
  smsMethod: string;
  smsFallbackUrl: string;
  smsFallbackMethod: string;
  statusCallback: string;
  statusCallbackMethod: string;
  capabilities: { voice: boolean; sms: boolean; mms: boolean; fax: boolean };
  dateCreated: Date;
  dateUpdated: Date;
}

export interface CallbackAttempt {
  status: string;
  /** HTTP status the receiver answered, 0 when the connection failed. */
  http_status: number;
  at: string;
  attempt: number;
  error?: string;
}

export interface Message {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  body: string;
  status: MessageStatus;
  direction: 'outbound-api' | 'inbound';
  errorCode: number | null;
  errorMessage: string | null;
  statusCallback: string | null;
  validityPeriod: number | null;
  numSegments: number;
  dateCreated: Date;
  dateSent: Date | null;
  dateUpdated: Date;
  callbacks: CallbackAttempt[];
}

export interface RequestLogEntry {
  at: string;
  method: string;
  path: string;
  params: Record<string, string>;
  status: number;
  account_sid: string | null;
}

export interface ApiFault {
  status: number;
  count: number;
  path_contains?: string;
}

export interface CallbackFault {
  delay_ms?: number;
  duplicate?: boolean;
  shuffle?: boolean;
  hold?: boolean;
}

/** Call status callbacks: each sent twice, and/or all held until the last and sent newest first. */
export interface CallCallbackFault {
  duplicate?: boolean;
  reverse?: boolean;
}

/** Call creates that go wrong for the client while (except `error`) the call is created. */
export interface CallsCreateFault {
  mode: 'error_after_create' | 'timeout_after_create' | 'error';
  status: number;
  count: number;
}

/** Message creates refused as Twilio does under load: 429/20429 or 400/21611 (sender queue full). */
export interface MessagesCreateFault {
  error: 429 | 21611;
  count: number;
  /** Only creates from this number (E.164); any sender when absent. */
  from?: string;
}

export interface Faults {
  api: ApiFault | null;
  messages_create: MessagesCreateFault | null;
  drop_after_create: { count: number } | null;
  callbacks: CallbackFault | null;
  calls_create: CallsCreateFault | null;
  call_callbacks: CallCallbackFault | null;
}

const noFaults = (): Faults => ({
  api: null,
  messages_create: null,
  drop_after_create: null,
  callbacks: null,
  calls_create: null,
  call_callbacks: null,
});

export interface HeldCallback {
  message: Message;
  status: MessageStatus;
  generation: number;
}

class RingBuffer<T> {
  private items: T[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Oldest first. */
  toArray(): T[] {
    if (this.items.length < this.capacity) return this.items.slice();
    return this.items.slice(this.next).concat(this.items.slice(0, this.next));
  }

  clear(): void {
    this.items = [];
    this.next = 0;
  }
}

export class SandboxState {
  readonly accounts = new Map<string, Account>();
  readonly numbersBySid = new Map<string, PhoneNumber>();
  readonly numbersByPhone = new Map<string, PhoneNumber>();
  /** All messages by sid, insertion (creation) order. */
  readonly messages = new Map<string, Message>();
  /** Per-account messages, insertion order (Map gives O(1) eviction). */
  private readonly messagesByAccount = new Map<string, Map<string, Message>>();
  private readonly requestLog: RingBuffer<RequestLogEntry>;
  faults: Faults = noFaults();
  held: HeldCallback[] = [];
  /** All calls by sid, creation order (oldest evicted past maxCalls). */
  readonly calls = new Map<string, Call>();
  /** What the callee at a number does when an outbound call reaches it. */
  readonly calleeScripts = new Map<string, CallScript>();
  /** Bumped by reset/close; callback loops of older generations stop. */
  generation = 0;

  constructor(
    readonly maxMessages = 500_000,
    requestLogSize = 20_000,
    readonly maxCalls = 50_000,
  ) {
    this.requestLog = new RingBuffer(requestLogSize);
  }

  reset(): void {
    this.accounts.clear();
    this.numbersBySid.clear();
    this.numbersByPhone.clear();
    this.messages.clear();
    this.messagesByAccount.clear();
    this.requestLog.clear();
    this.faults = noFaults();
    this.held = [];
    this.calls.clear();
    this.calleeScripts.clear();
    this.generation++;
  }

  addNumber(number: PhoneNumber): void {
    this.numbersBySid.set(number.sid, number);
    this.numbersByPhone.set(number.phoneNumber, number);
  }

  removeNumber(number: PhoneNumber): void {
    this.numbersBySid.delete(number.sid);
    if (this.numbersByPhone.get(number.phoneNumber) === number)
      this.numbersByPhone.delete(number.phoneNumber);
  }

  numbersOf(accountSid: string): PhoneNumber[] {
    const out: PhoneNumber[] = [];
    for (const n of this.numbersBySid.values()) if (n.accountSid === accountSid) out.push(n);
    return out;
  }

  addMessage(message: Message): void {
    this.messages.set(message.sid, message);
    let perAccount = this.messagesByAccount.get(message.accountSid);
    if (!perAccount) {
      perAccount = new Map();
      this.messagesByAccount.set(message.accountSid, perAccount);
    }
    perAccount.set(message.sid, message);
    while (this.messages.size > this.maxMessages) {
      const oldest = this.messages.values().next().value as Message;
      this.messages.delete(oldest.sid);
      this.messagesByAccount.get(oldest.accountSid)?.delete(oldest.sid);
    }
  }

  /** Oldest first. */
  messagesOf(accountSid: string): Message[] {
    const perAccount = this.messagesByAccount.get(accountSid);
    return perAccount ? Array.from(perAccount.values()) : [];
  }

  addCall(call: Call): void {
    this.calls.set(call.sid, call);
    while (this.calls.size > this.maxCalls) {
      const oldest = this.calls.values().next().value as Call;
      this.calls.delete(oldest.sid);
    }
  }

  logRequest(entry: RequestLogEntry): void {
    this.requestLog.push(entry);
  }

  requests(): RequestLogEntry[] {
    return this.requestLog.toArray();
  }
}
