// An inspector's visit through the generated TypeScript client, as a tablet app would
// drive it: node dist/visit.js <base url> <password> <photo.jpg>
import { readFileSync } from 'node:fs';
import { createHash, randomUUID } from 'node:crypto';

import { client } from './client/client.gen';
import {
  getChecklist, getMe, listDesks, login, putFindings, putVisit, submitVisit, uploadEvidence,
} from './client';
import type {
  Criterion, FindingIn, PutVisitErrors, SubmitVisitErrors, UploadEvidenceErrors, VisitPut,
} from './client';

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`failed: ${what}`);
}

function answer(criterion: Criterion): FindingIn {
  const item: FindingIn = { id: randomUUID(), criterion_id: criterion.id, recorded_at: '2026-11-20T01:30:00+00:00' };
  switch (criterion.answer_type) {
    case 'yes_no': case 'text': return { ...item, result: 'pass' };
    case 'count': return { ...item, value: 0 };
    case 'percent': return { ...item, value: 100 };
    case 'time': return { ...item, value: (criterion.pass_rule ?? '').includes('closes_at') ? '17:05' : '07:20' };
  }
}

async function main(): Promise<void> {
  const [baseUrl, password, photoPath] = process.argv.slice(2);
  check(baseUrl !== undefined && password !== undefined && photoPath !== undefined, 'arguments');
  client.setConfig({ baseUrl });

  const refused = await login({ body: { username: 'inspector1', password: 'not-it' } });
  check(refused.response.status === 401 && refused.error?.status === 401, 'a wrong password is a 401 problem');
  const tokens = await login({ body: { username: 'inspector1', password } });
  check(tokens.data !== undefined, 'login');
  const token = tokens.data.access_token;
  client.setConfig({ baseUrl, auth: () => token });

  const me = await getMe();
  const team = me.data?.teams[0];
  check(team !== undefined, 'a team to inspect with');

  let cursor: string | undefined;
  const deskIds = new Set<number>();
  for (;;) {
    const feed = await listDesks({ query: { per_page: 4, cursor } });
    check(feed.data !== undefined, 'desks');
    feed.data.items.forEach((desk) => deskIds.add(desk.id));
    cursor = feed.data.meta.cursor;
    if (!feed.data.meta.more) break;
  }
  const unchanged = await listDesks({ query: { cursor } });
  check(unchanged.data?.items.length === 0 && unchanged.data.removed.length === 0, 'nothing new after the cursor');
  const deskId = team.desk_ids[0];
  check(deskId !== undefined && deskIds.has(deskId), 'the team desk among the pulled ones');

  const checklist = await getChecklist({ path: { checklist_id: team.checklist_id } });
  check(checklist.data !== undefined, 'checklist');
  const visitId = randomUUID();
  const body: VisitPut = {
    desk_id: deskId, checklist_id: checklist.data.id, team_id: team.id,
    started_at: '2026-11-20T01:15:00+00:00', location: { lat: 21.82, lon: 105.21 },
  };
  const created = await putVisit({ path: { visit_id: visitId }, body });
  check(created.response.status === 201 && created.data?.version === 1, 'visit created');
  const etag = created.response.headers.get('ETag') ?? '';

  const early = await submitVisit({ path: { visit_id: visitId } });
  check(early.response.status === 422, 'submit too early');
  const missing = (early.error as SubmitVisitErrors[422]).missing;
  check(missing?.length === checklist.data.criteria.length, 'every criterion listed as missing');

  const findings = checklist.data.criteria.map(answer);
  const synced = await putFindings({ path: { visit_id: visitId }, body: { findings } });
  check(synced.data?.changed === findings.length, 'findings synced');

  const photo = readFileSync(photoPath);
  const uploaded = await uploadEvidence({
    path: { visit_id: visitId, evidence_id: randomUUID() }, body: new Blob([photo]),
    query: { finding_id: findings[0]?.id },
    headers: { 'X-Content-SHA256': createHash('sha256').update(photo).digest('hex') },
  });
  check(uploaded.response.status === 201 && uploaded.data?.content_type === 'image/jpeg', 'photo stored');
  const clash = await uploadEvidence({
    path: { visit_id: visitId, evidence_id: uploaded.data.id }, body: new Blob([photo.subarray(0, 100)]),
    headers: { 'X-Finding-ID': findings[0]?.id ?? '' },
  });
  check(clash.response.status === 409, 'other bytes under the same id');
  check((clash.error as UploadEvidenceErrors[409]).current?.sha256 === uploaded.data.sha256, 'current is the stored photo');

  const edited = await putVisit({ path: { visit_id: visitId }, body: { ...body, notes: 'Bổ sung' }, headers: { 'If-Match': etag } });
  check(edited.data?.version === 2, 'edit with If-Match');
  const stale = await putVisit({ path: { visit_id: visitId }, body: { ...body, notes: 'Cũ', version: 1 } });
  check(stale.response.status === 409, 'stale edit');
  const current = (stale.error as PutVisitErrors[409]).current;
  check(current.version === 2 && current.notes === 'Bổ sung', "the 409 carries the server's copy");

  const submitted = await submitVisit({ path: { visit_id: visitId } });
  check(submitted.data?.status === 'submitted', 'submitted');
  console.log(JSON.stringify({ visit: visitId, status: submitted.data.status, findings: submitted.data.findings.length }));
}

main().catch((error: unknown) => { console.error(error); process.exit(1); });
