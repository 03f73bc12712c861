// A small app written against the client generated from openapi.yaml
// (openapi-typescript + openapi-fetch) and WatermelonDB's own sync types.
// `.ci/openapi-lint.sh` type-checks it with `tsc --noEmit --strict`: if the
// contract cannot type a real app's calls, this stops compiling.
import createClient from 'openapi-fetch'
import type { SyncDatabaseChangeSet, SyncPullArgs, SyncPullResult, SyncPushArgs, SyncPushResult } from '@nozbe/watermelondb/sync'
import type { DirtyRaw } from '@nozbe/watermelondb/RawRecord'
import type { components, paths } from './aftercare'

type Schemas = components['schemas']

export class AftercareApp {
  private readonly client = createClient<paths>({ baseUrl: 'https://aftercare.example' })
  private access = ''
  private refreshToken = ''

  private auth() {
    return { authorization: `Bearer ${this.access}` }
  }

  async signIn(email: string, password: string): Promise<void> {
    const { data, error } = await this.client.POST('/v1/auth/login', { body: { email, password } })
    if (error) throw new Error(`${error.title}: ${error.detail}`)
    this.access = data.access_token
    this.refreshToken = data.refresh_token
  }

  async refresh(): Promise<void> {
    const { data, error } = await this.client.POST('/v1/auth/refresh', {
      body: { refresh_token: this.refreshToken },
    })
    if (error) throw new Error(error.detail)
    this.access = data.access_token
    this.refreshToken = data.refresh_token
  }

  async logToday(treatmentId: string, date: string): Promise<Schemas['Sign'][]> {
    const { data, error } = await this.client.PUT('/v1/treatments/{id}/logs/{date}', {
      params: { path: { id: treatmentId, date } },
      headers: this.auth(),
      body: { redness: 3, swelling: 1, flaking: 0, sensitivity: 2, signs: ['itching'], note: null },
    })
    if (error) throw new Error(error.detail)
    return data.log.signs
  }

  // WatermelonDB's synchronize({ pullChanges, pushChanges }) callbacks.
  pullChanges = async ({ lastPulledAt, schemaVersion, migration }: SyncPullArgs): Promise<SyncPullResult> => {
    const { data, error } = await this.client.GET('/v1/sync', {
      params: {
        query: {
          last_pulled_at: lastPulledAt == null ? 'null' : String(lastPulledAt),
          schema_version: String(schemaVersion),
          migration: JSON.stringify(migration ?? null),
        },
      },
      headers: this.auth(),
    })
    if (error) throw new Error(error.detail)
    const logs: Schemas['SyncSymptomLogRow'][] = data.changes.symptom_logs.updated
    const flagged = data.changes.flags.updated.filter((f) => f.severity === 'urgent' && f.status === 'open')
    console.log(`${logs.length} logs, ${flagged.length} urgent flags open`)
    const changes: SyncDatabaseChangeSet = data.changes
    return { changes, timestamp: data.timestamp }
  }

  pushChanges = async ({ changes, lastPulledAt }: SyncPushArgs): Promise<SyncPushResult> => {
    const logs = changes.symptom_logs
    const reminders = changes.reminders
    const body: Schemas['SyncPushChanges'] = {
      symptom_logs: {
        created: logs.created.map(pushedLog),
        updated: logs.updated.map(pushedLog),
        deleted: logs.deleted,
      },
      reminders: { created: [], updated: reminders.updated.map(checkOff), deleted: [] },
    }
    const { data, error } = await this.client.POST('/v1/sync', {
      params: { query: { last_pulled_at: String(lastPulledAt) } },
      headers: this.auth(),
      body: { changes: body },
    })
    if (error) throw new Error(`${error.type}: ${error.detail}`)
    for (const r of data.rejected) console.log(`not taken: ${r.table}[${r.id}]${r.column ? '.' + r.column : ''}: ${r.reason}`)
    // Records the server did not take stay marked unsynced on the device.
    return { experimentalRejectedIds: data.experimentalRejectedIds }
  }
}

// A local row (any values, as WatermelonDB types it) in the contract's shape.
function pushedLog(raw: DirtyRaw): Schemas['SyncSymptomLogPush'] {
  return {
    id: String(raw.id),
    treatment_id: String(raw.treatment_id),
    log_date: String(raw.log_date),
    redness: Number(raw.redness),
    swelling: Number(raw.swelling),
    flaking: Number(raw.flaking),
    sensitivity: Number(raw.sensitivity),
    signs: typeof raw.signs === 'string' ? raw.signs : '[]',
    note: typeof raw.note === 'string' ? raw.note : null,
  }
}

function checkOff(raw: DirtyRaw): Schemas['SyncReminderPush'] {
  return { id: String(raw.id), done_at: typeof raw.done_at === 'number' ? raw.done_at : null }
}
