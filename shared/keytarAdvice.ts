/**
 * What to do when keytar, the OS keychain module, is missing (npm drops this optional native module
 * when its build fails during `npm ci`, e.g. without libsecret's headers). One sentence, used by
 * the CLI, the UI's API (through KEYCHAIN_UNAVAILABLE) and `npm start`, and quoted by the README.
 */
export const keytarMissingAdvice =
  'install the Secret Service library (Debian/Ubuntu: libsecret-1-dev; Fedora: libsecret-devel; macOS and Windows need none), then run `npm install --no-save` in the pulsar-tunnel folder, which builds keytar again (or shows why it cannot)';
