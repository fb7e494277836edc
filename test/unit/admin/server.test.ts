import { describe, expect, it } from 'vitest';
import { startAdminServer } from '../../../src/admin/server.js';
import { createLogger } from '../../../src/logging/logger.js';

describe('admin server', () => {
  it('serves the handlers, 500 when one fails, and refuses other methods', async () => {
    let fail = false;
    const admin = await startAdminServer({
      listen: '127.0.0.1:0',
      logger: createLogger('silent'),
      handlers: {
        metrics: async () => {
          if (fail) throw new Error('boom');
          return { contentType: 'text/plain; version=0.0.4', body: 'x 1\n' };
        },
        ready: () => ({ ready: false, reasons: ['starting'] }),
      },
    });
    try {
      expect(admin.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const metrics = await fetch(`${admin.url}/metrics`);
      expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4');
      expect(await metrics.text()).toBe('x 1\n');
      const ready = await fetch(`${admin.url}/readyz?verbose=1`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'not_ready', ready: false, reasons: ['starting'] });
      fail = true;
      expect((await fetch(`${admin.url}/metrics`)).status).toBe(500);
      const head = await fetch(`${admin.url}/healthz`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      const del = await fetch(`${admin.url}/healthz`, { method: 'DELETE' });
      expect(del.status).toBe(405);
      expect(del.headers.get('allow')).toBe('GET, HEAD');
    } finally {
      await admin.close();
    }
  });

  it('fails to start on a port in use', async () => {
    const a = await startAdminServer({ listen: '127.0.0.1:0', logger: createLogger('silent'), handlers: { metrics: async () => ({ contentType: 't', body: '' }), ready: () => ({ ready: true, reasons: [] }) } });
    try {
      await expect(startAdminServer({ listen: `127.0.0.1:${a.port}`, logger: createLogger('silent'), handlers: { metrics: async () => ({ contentType: 't', body: '' }), ready: () => ({ ready: true, reasons: [] }) } })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await a.close();
    }
  });
});
