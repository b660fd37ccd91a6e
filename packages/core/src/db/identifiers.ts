import { InvalidOptionError } from '../errors.ts';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

/** Schema names are spliced into SQL, so only plain lower-case identifiers are accepted. */
export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new InvalidOptionError(
      `Schema name "${schema}" is not allowed: use lower-case letters, digits and underscores, starting with a letter.`,
    );
  }
  return schema;
}

export const DEFAULT_SCHEMA = 'jobfleet';

/** NOTIFY channels are per schema so that two apps sharing a database do not wake each other. */
export function channels(schema: string) {
  return {
    wake: `${schema}_wake`,
    events: `${schema}_events`,
    cancel: `${schema}_cancel`,
  };
}
