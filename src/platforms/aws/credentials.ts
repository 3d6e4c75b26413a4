/**
 * Where the AWS clients' credentials and region come from: the environment's options, else the values
 * the configuration read from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN / REGION_NAME
 * (passed in; only the config module reads the process environment), else the AWS SDK's default chain
 * (shared files, SSO, web identity, container and instance roles). The secret parts live in a holder that
 * prints, serializes and inspects as "[redacted]", so they cannot reach logs, serialized flows or task
 * definitions by accident.
 */
import { inspect } from "node:util";
import { SluiceError } from "../../core/errors.js";

/** Credentials as given: the options of an environment, or the configuration's AWS section. */
export interface AwsCredentialInput {
  awsAccessKeyId?: string;
  awsSecretAccessKey?: string;
  awsSessionToken?: string;
  regionName?: string;
}

export interface AwsIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Static credentials that never show themselves: use `.identity()` only to hand them to the SDK. */
export class RedactedCredentials {
  readonly #identity: AwsIdentity;

  constructor(identity: AwsIdentity) {
    this.#identity = { ...identity };
  }

  /** The credentials, for the SDK's `credentials` provider. */
  identity(): AwsIdentity {
    return { ...this.#identity };
  }

  toJSON(): string {
    return "[redacted]";
  }

  toString(): string {
    return "[redacted AWS credentials]";
  }

  [inspect.custom](): string {
    return "[redacted AWS credentials]";
  }
}

export interface ResolvedAwsAccess {
  /** Static credentials, or undefined to let the SDK's default chain find them. */
  credentials?: RedactedCredentials;
  /** The region, or undefined for the SDK's own resolution (AWS_REGION, profile). */
  region?: string;
  /** Where the credentials came from (safe to log). */
  source: "options" | "config" | "default-chain";
}

function pair(input: AwsCredentialInput, where: string): RedactedCredentials | undefined {
  const { awsAccessKeyId: id, awsSecretAccessKey: secret, awsSessionToken: token } = input;
  if (id === undefined && secret === undefined) {
    if (token !== undefined) {
      throw new SluiceError(
        "INVALID_OPTION",
        `${where}: awsSessionToken is set without awsAccessKeyId and awsSecretAccessKey; give all three, or none to use the AWS SDK's default chain`,
        { field: "awsSessionToken", kind: "aws" },
      );
    }
    return undefined;
  }
  if (id === undefined || secret === undefined) {
    const missing = id === undefined ? "awsAccessKeyId" : "awsSecretAccessKey";
    throw new SluiceError(
      "INVALID_OPTION",
      `${where}: ${missing} is missing while its pair is set; give both (and awsSessionToken for temporary credentials), or neither to use the AWS SDK's default chain`,
      { field: missing, kind: "aws" },
    );
  }
  return new RedactedCredentials({ accessKeyId: id, secretAccessKey: secret, ...(token !== undefined ? { sessionToken: token } : {}) });
}

/**
 * Resolves credentials and region: `options` first, then `config`, then the SDK's default chain. The
 * region follows the same order independently of the credentials.
 */
export function resolveAwsAccess(options: AwsCredentialInput, config: AwsCredentialInput = {}): ResolvedAwsAccess {
  const region = options.regionName ?? config.regionName;
  const fromOptions = pair(options, "FargateTaskEnvironment options");
  if (fromOptions) return { credentials: fromOptions, ...(region ? { region } : {}), source: "options" };
  const fromConfig = pair(config, "AWS configuration (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN)");
  if (fromConfig) return { credentials: fromConfig, ...(region ? { region } : {}), source: "config" };
  return { ...(region ? { region } : {}), source: "default-chain" };
}
