/**
 * Turns a job type's payload JSON Schema into a form model, and the form's values back into a payload.
 * An object whose properties are strings, numbers, integers, booleans or enums becomes one input per property;
 * a top-level string, number, integer, boolean or enum becomes a single input; anything else is a JSON textarea.
 * DOM-free, so that it is type-checked and unit-tested under Node as well.
 */

export type FieldKind = 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'json';
export type Primitive = string | number | boolean | null;

export interface Field {
  /** Property name ('' for a top-level payload). */
  name: string;
  label: string;
  kind: FieldKind;
  required: boolean;
  description?: string;
  options?: Primitive[];
  defaultValue?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  /** Long text: a textarea rather than a one-line input. */
  multiline?: boolean;
}

export type FormModel =
  | { mode: 'object'; fields: Field[] }
  | { mode: 'single'; field: Field }
  | { mode: 'json'; required: boolean; placeholder: string };

/** Form values: text for inputs, selects and textareas, booleans for checkboxes. */
export type FormValues = Record<string, string | boolean>;

export type BuildResult = { ok: true; payload: unknown } | { ok: false; errors: Record<string, string> };

type Schema = Record<string, unknown>;

const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPrimitive = (v: unknown): v is Primitive => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/** The single non-null type of a schema (`"string"`, or `["string", "null"]` → `"string"`). */
function singleType(s: Schema): string | undefined {
  const t = s.type;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const rest = t.filter((x) => x !== 'null');
    if (rest.length === 1 && typeof rest[0] === 'string') return rest[0];
  }
  return undefined;
}

function kindOf(s: Schema): FieldKind {
  if (Array.isArray(s.enum) && s.enum.length > 0 && s.enum.every(isPrimitive)) return 'enum';
  if ('const' in s && isPrimitive(s.const)) return 'enum';
  const t = singleType(s);
  if (t === 'string' || t === 'number' || t === 'integer' || t === 'boolean') return t;
  return 'json';
}

function humanize(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : name;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function fieldOf(name: string, s: Schema, required: boolean): Field {
  const kind = kindOf(s);
  const f: Field = {
    name,
    label: typeof s.title === 'string' ? s.title : name ? humanize(name) : 'Payload',
    kind,
    required: kind === 'boolean' ? false : required,
  };
  if (typeof s.description === 'string') f.description = s.description;
  if (kind === 'enum') f.options = Array.isArray(s.enum) ? (s.enum as Primitive[]) : [s.const as Primitive];
  if ('default' in s) f.defaultValue = s.default;
  const min = num(s.minimum) ?? num(s.exclusiveMinimum);
  const max = num(s.maximum) ?? num(s.exclusiveMaximum);
  if (min !== undefined) f.minimum = min;
  if (max !== undefined) f.maximum = max;
  if (num(s.minLength) !== undefined) f.minLength = s.minLength as number;
  if (num(s.maxLength) !== undefined) f.maxLength = s.maxLength as number;
  if (kind === 'string' && (f.maxLength === undefined || f.maxLength > 200) && !s.format && !s.pattern) f.multiline = true;
  return f;
}

/** The form for a payload schema (null or unusable: a JSON textarea). */
export function formModel(schema: unknown): FormModel {
  const json: FormModel = { mode: 'json', required: false, placeholder: '{ }' };
  if (!isObject(schema)) return json;
  const type = singleType(schema);
  if (type === 'object' || (type === undefined && isObject(schema.properties))) {
    const props = isObject(schema.properties) ? schema.properties : {};
    const entries = Object.entries(props).filter(([, v]) => isObject(v)) as [string, Schema][];
    if (entries.length === 0) return { mode: 'json', required: false, placeholder: '{ }' };
    const required = new Set(Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === 'string') : []);
    return { mode: 'object', fields: entries.map(([name, s]) => fieldOf(name, s, required.has(name))) };
  }
  const kind = kindOf(schema);
  if (kind !== 'json') {
    // A top-level value is always sent (an empty string is a valid string payload unless minLength says otherwise).
    const f = fieldOf('', schema, true);
    return { mode: 'single', field: f };
  }
  const placeholder =
    type === 'array' ? '[ ]' : Array.isArray(schema.anyOf) || Array.isArray(schema.oneOf) ? 'JSON value' : '{ }';
  return { mode: 'json', required: false, placeholder };
}

function initialOf(f: Field): string | boolean {
  const d = f.defaultValue;
  if (f.kind === 'boolean') return d === true;
  if (d === undefined) return '';
  if (f.kind === 'enum') {
    const i = (f.options ?? []).findIndex((o) => o === d);
    return i >= 0 ? String(i) : '';
  }
  if (f.kind === 'json') return JSON.stringify(d, null, 2);
  return typeof d === 'string' || typeof d === 'number' ? String(d) : '';
}

/** The key of a field in FormValues. */
export const keyOf = (f: Field): string => f.name || '$payload';

export function initialValues(model: FormModel): FormValues {
  if (model.mode === 'json') return { $payload: '' };
  const fields = model.mode === 'object' ? model.fields : [model.field];
  const out: FormValues = {};
  for (const f of fields) out[keyOf(f)] = initialOf(f);
  return out;
}

type FieldResult = { ok: true; present: boolean; value?: unknown } | { ok: false; error: string };

function readField(f: Field, raw: string | boolean | undefined): FieldResult {
  if (f.kind === 'boolean') return { ok: true, present: true, value: raw === true };
  const text = typeof raw === 'string' ? raw : '';
  if (f.kind === 'string') {
    if (text === '' && f.required && (f.minLength ?? 0) > 0) return { ok: false, error: 'Required.' };
    if (text === '' && !f.required) return { ok: true, present: false };
    if (f.minLength !== undefined && text.length < f.minLength)
      return { ok: false, error: `At least ${f.minLength} characters.` };
    if (f.maxLength !== undefined && text.length > f.maxLength) return { ok: false, error: `At most ${f.maxLength} characters.` };
    return { ok: true, present: true, value: text };
  }
  if (text.trim() === '') return f.required ? { ok: false, error: 'Required.' } : { ok: true, present: false };
  if (f.kind === 'enum') {
    const i = Number(text);
    const options = f.options ?? [];
    if (!Number.isInteger(i) || i < 0 || i >= options.length) return { ok: false, error: 'Choose one of the options.' };
    return { ok: true, present: true, value: options[i] };
  }
  if (f.kind === 'json') {
    try {
      return { ok: true, present: true, value: JSON.parse(text) as unknown };
    } catch (err) {
      return { ok: false, error: `Not valid JSON: ${(err as Error).message}` };
    }
  }
  const n = Number(text.trim());
  if (!Number.isFinite(n)) return { ok: false, error: 'Enter a number.' };
  if (f.kind === 'integer' && !Number.isInteger(n)) return { ok: false, error: 'Enter a whole number.' };
  if (f.minimum !== undefined && n < f.minimum) return { ok: false, error: `At least ${f.minimum}.` };
  if (f.maximum !== undefined && n > f.maximum) return { ok: false, error: `At most ${f.maximum}.` };
  return { ok: true, present: true, value: n };
}

/** The payload the form describes, or the errors by field key. */
export function buildPayload(model: FormModel, values: FormValues): BuildResult {
  if (model.mode === 'json') {
    const r = readField({ name: '', label: 'Payload', kind: 'json', required: model.required }, values.$payload);
    if (!r.ok) return { ok: false, errors: { $payload: r.error } };
    return { ok: true, payload: r.present ? r.value : undefined };
  }
  if (model.mode === 'single') {
    const r = readField(model.field, values[keyOf(model.field)]);
    if (!r.ok) return { ok: false, errors: { [keyOf(model.field)]: r.error } };
    return { ok: true, payload: r.present ? r.value : undefined };
  }
  const payload: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const f of model.fields) {
    const r = readField(f, values[keyOf(f)]);
    if (!r.ok) errors[keyOf(f)] = r.error;
    else if (r.present) payload[f.name] = r.value;
  }
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, payload };
}
