/** Records a running job's progress, only while the caller still holds its lease (status test as in record-outcomes.ts: found by id). */
export const progressSql = (s: string) => `
UPDATE ${s}.jobs SET progress = $3, progress_message = $4, updated_at = now()
WHERE id = $1 AND lease_token = $2 AND (status = 'RUNNING') IS TRUE`;
