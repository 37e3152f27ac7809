/** Messages between `meshwasm bench-control-plane` and its client processes (IPC over fork). */
export type ClientCommand =
  | {
      type: 'connect';
      xds: string;
      /** Index of this process's first proxy (node ids are bench-proxy-<index>). */
      first: number;
      count: number;
      /** ECDS streams per HTTP/2 connection. */
      perConnection: number;
      /** Proxies carry label bench-group=<index mod groups>: that many distinct views. */
      groups: number;
    }
  | { type: 'reconnect' }
  | { type: 'usage' }
  | { type: 'close' };

export type ClientReport =
  | { type: 'ready' }
  | { type: 'opened' }
  | { type: 'error'; message: string }
  | { type: 'usage'; cpu: NodeJS.CpuUsage; rss: number; fetches: number; retries: number; failures: number };
