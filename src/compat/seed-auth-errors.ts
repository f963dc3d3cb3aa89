import { RequestValidationException, SeedResponseException } from '../common/exceptions.js';
import type { ErrorMapping } from '../common/map-errors.js';
import { UsernameTakenError, WeakPasswordError } from '../users/users.service.js';

/** Registration errors in Django REST Framework's per-field shape, as both seeds answered them. */
export const SEED_REGISTRATION_ERRORS: ErrorMapping = [
  [
    UsernameTakenError,
    () => new SeedResponseException({ username: ['A user with that username already exists.'] }, 400),
  ],
  [
    WeakPasswordError,
    (e) =>
      new RequestValidationException(
        (e as WeakPasswordError).reasons.map((message) => ({ field: 'password', message })),
      ),
  ],
];
