// The two real peers most end-to-end tests start per test: the SDK test server and an OTLP receiver.
import { TestServer, startTestServer } from './mcp-test-server';
import { OtlpReceiver, startOtlpReceiver } from './otlp-receiver';

/** Registers beforeEach/afterEach that start both before each test and close them after; `set` gets the fresh pair. */
export function withServerAndReceiver(set: (server: TestServer, receiver: OtlpReceiver) => void): void {
  let server: TestServer | undefined;
  let receiver: OtlpReceiver | undefined;
  beforeEach(async () => {
    server = await startTestServer();
    receiver = await startOtlpReceiver();
    set(server, receiver);
  });
  afterEach(async () => {
    await server?.close();
    await receiver?.close();
  });
}
