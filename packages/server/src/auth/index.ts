export {
  createAuthService,
  normaliseEmail,
  API_KEY_PREFIX,
  JWT_AUDIENCE,
  JWT_ISSUER,
  type AuthServiceOptions,
} from './service.ts';
export { LoginThrottle, type ThrottleOptions } from './throttle.ts';
export { ARGON2_OPTIONS, PASSWORD_MAX, PASSWORD_MIN, generatePassword, hashPassword, verifyPassword } from './passwords.ts';
