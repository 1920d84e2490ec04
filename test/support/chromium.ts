/**
 * How the tests launch Debian's Chromium with playwright-core. The machine has no
 * network: no background services, no component updates, no sync; as root, no sandbox.
 */
export const CHROMIUM_LAUNCH = {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};
