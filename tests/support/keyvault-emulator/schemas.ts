// JSON Schemas of the Key Vault secret responses, written from the REST reference's definitions
// (SecretBundle, DeletedSecretBundle, SecretListResult/SecretItem, KeyVaultError;
// https://learn.microsoft.com/rest/api/keyvault/secrets/get-secret/get-secret#definitions). No
// additional properties: a field the reference does not define fails the emulator's tests.

const unixTime = { type: 'integer', minimum: 0 };

const attributes = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    nbf: unixTime,
    exp: unixTime,
    created: unixTime,
    updated: unixTime,
    recoverableDays: { type: 'integer', minimum: 0, maximum: 90 },
    recoveryLevel: {
      enum: [
        'Purgeable',
        'Recoverable+Purgeable',
        'Recoverable',
        'Recoverable+ProtectedSubscription',
        'CustomizedRecoverable+Purgeable',
        'CustomizedRecoverable',
        'CustomizedRecoverable+ProtectedSubscription',
      ],
    },
  },
};

const tags = { type: 'object', additionalProperties: { type: 'string' } };

const itemProperties = {
  id: { type: 'string' },
  attributes,
  tags,
  contentType: { type: 'string' },
  managed: { type: 'boolean' },
};

export const secretBundle = {
  type: 'object',
  additionalProperties: false,
  required: ['value', 'id', 'attributes'],
  properties: { ...itemProperties, value: { type: 'string' }, kid: { type: 'string' } },
};

/** Recover Deleted Secret answers a SecretBundle; Key Vault leaves the value out. */
export const recoveredBundle = { ...secretBundle, required: ['id', 'attributes'] };

export const deletedSecretBundle = {
  type: 'object',
  additionalProperties: false,
  required: ['recoveryId', 'deletedDate', 'scheduledPurgeDate', 'id', 'attributes'],
  properties: {
    ...itemProperties,
    value: { type: 'string' },
    kid: { type: 'string' },
    recoveryId: { type: 'string' },
    deletedDate: unixTime,
    scheduledPurgeDate: unixTime,
  },
};

export const secretListResult = {
  type: 'object',
  additionalProperties: false,
  required: ['value'],
  properties: {
    value: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'attributes'],
        properties: itemProperties,
      },
    },
    // The reference types it as a string; the service sends null on the last page (recordings).
    nextLink: { type: ['string', 'null'] },
  },
};

const error: Record<string, unknown> = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'message'],
  properties: {
    code: { type: 'string' },
    message: { type: 'string' },
    innererror: {
      type: 'object',
      additionalProperties: false,
      required: ['code'],
      properties: { code: { type: 'string' } },
    },
  },
};

export const keyVaultError = {
  type: 'object',
  additionalProperties: false,
  required: ['error'],
  properties: { error },
};
