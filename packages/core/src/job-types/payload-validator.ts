import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import type { Issue } from '../errors.ts';
import type { AnyJobType } from './define-job.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export type Validate = (payload: unknown) => Issue[] | null;

/** Validates with the job type's own zod schema. */
export function zodValidator(type: AnyJobType): Validate {
  const schema = type.schema;
  if (!schema) return () => null;
  return (payload) => {
    const r = schema.safeParse(payload);
    if (r.success) return null;
    return r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  };
}

const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
const compiled = new Map<string, ValidateFunction>();

/** Validates with a JSON Schema published by a worker, for processes that do not have the job's code. */
export function jsonSchemaValidator(schema: Record<string, unknown> | null): Validate {
  if (!schema) return () => null;
  const key = JSON.stringify(schema);
  let fn = compiled.get(key);
  if (!fn) {
    try {
      fn = ajv.compile(schema);
    } catch {
      return () => null;
    }
    compiled.set(key, fn);
  }
  const validate = fn;
  return (payload) => {
    if (validate(payload)) return null;
    return (validate.errors ?? []).map((e) => ({
      path: e.instancePath.replace(/^\//, '').replaceAll('/', '.'),
      message: e.message ?? 'is invalid',
    }));
  };
}
