/** Test helpers for campaigns: JSON and CSV creation through the public API, and waiting on a campaign. */
import { ApiResponse, waitForResource } from '../harness/api';
import { SmsSender } from './sms';

export function campaignBody(s: SmsSender, recipients: unknown[], extra: Record<string, unknown> = {}) {
  return {
    name: 'Reminders',
    agent_id: s.agent_id,
    from_number: s.from_number,
    message: 'Hi {{first_name}}, see you soon.',
    recipients,
    ...extra,
  };
}

/** `POST /v1/campaigns` as multipart/form-data: `fields` first, then the CSV as the `recipients` file. */
export async function uploadCampaign(
  s: SmsSender,
  fields: Record<string, string>,
  csv: string | null,
  headers: Record<string, string> = {},
): Promise<ApiResponse> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (csv !== null) form.append('recipients', new Blob([csv], { type: 'text/csv' }), 'recipients.csv');
  const res = await fetch(`${s.account.api.baseUrl}/v1/campaigns`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.account.api.apiKey}`, ...headers },
    body: form,
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, headers: res.headers };
}

export function campaignFields(s: SmsSender, extra: Record<string, string> = {}): Record<string, string> {
  return {
    name: 'CSV campaign',
    agent_id: s.agent_id,
    from_number: s.from_number,
    message: 'Hi {{first_name}}, your code is {{code}}.',
    ...extra,
  };
}

/** Polls `GET /v1/campaigns/:id` until `done` holds. */
export function waitForCampaign(s: SmsSender, id: string, done: (b: any) => boolean, timeoutMs = 30_000) {
  return waitForResource(s.account.api, `/v1/campaigns/${id}`, `campaign ${id}`, done, timeoutMs);
}

/** Every recipient of a campaign, following the cursor. */
export async function allRecipients(s: SmsSender, id: string, query = ''): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const q: string = `limit=200${query ? `&${query}` : ''}${cursor ? `&cursor=${cursor}` : ''}`;
    const res = await s.account.api.get(`/v1/campaigns/${id}/recipients?${q}`);
    if (res.status !== 200) throw new Error(`recipients: ${res.status} ${JSON.stringify(res.body)}`);
    out.push(...res.body.data);
    cursor = res.body.next_cursor;
  } while (cursor);
  return out;
}
