/**
 * The part of keytar's API this project uses, declared here so the type check does not depend on
 * whether keytar, an optional native dependency, was built and installed on this machine (it is
 * removed by npm when its build fails, e.g. without libsecret-1-dev).
 */
declare module 'keytar' {
  export function getPassword(service: string, account: string): Promise<string | null>;
  export function setPassword(service: string, account: string, password: string): Promise<void>;
  export function deletePassword(service: string, account: string): Promise<boolean>;
}
