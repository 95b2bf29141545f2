/** The slice of pulsar-flex's untyped API the routing tests use. */
import { createRequire } from 'node:module';

export interface FlexProducer {
  create(): Promise<boolean>;
  sendMessage(message: { payload: string }): Promise<boolean>;
  close(): Promise<boolean>;
}
export interface FlexConsumer {
  subscribe(): Promise<void>;
  run(opts: { onMessage: (message: { message: Buffer }) => Promise<void> }): Promise<void>;
  unsubscribe(): Promise<void>;
}
export interface PulsarFlex {
  Producer: new (opts: Record<string, unknown>) => FlexProducer;
  Consumer: new (opts: Record<string, unknown>) => FlexConsumer;
}

export const flex = createRequire(import.meta.url)('pulsar-flex') as PulsarFlex;
