import net from "node:net";

/** One client connection through the proxy, as the test sees it. */
export interface ProxiedConnection {
  id: number;
  /** The client (Roster) closed its side. */
  clientClosed: boolean;
  /** Bytes the client sent that the proxy held back during a stall. */
  heldFromClient: number;
}

interface Pipe {
  info: ProxiedConnection;
  client: net.Socket;
  upstream?: net.Socket;
  /** Chunks not forwarded yet, each with the socket it is for. */
  held: { to: "client" | "upstream"; chunk: Buffer }[];
  /** The server closed its side during a stall: the client learns of it once the stall is over. */
  upstreamClosed: boolean;
}

/**
 * A TCP proxy in front of a server (MariaDB) that a test can stall: while stalled, every connection
 * stays open but nothing passes either way, and new connections are accepted but not answered (a
 * network partition without a reset, a frozen server, a stalled proxy). The proxy keeps reading both
 * sides meanwhile, so it sees a client give up; what a client sent before giving up is delivered,
 * followed by its end, once the stall is over (as TCP would retransmit it once the network heals).
 * A server that waited for the rest of a transaction then sees its client gone, and rolls it back.
 */
export class StallingProxy {
  private server?: net.Server;
  private pipes = new Set<Pipe>();
  private stalled = false;
  private nextId = 0;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  /** Every connection made through the proxy so far. */
  readonly connections: ProxiedConnection[] = [];

  async open(): Promise<void> {
    this.server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server!.address() as net.AddressInfo).port;
  }

  /** From now on nothing passes, either way, and nothing is closed. */
  stall(): void {
    this.stalled = true;
  }

  /** Everything held is delivered, and the proxy forwards again. */
  resume(): void {
    this.stalled = false;
    for (const pipe of [...this.pipes]) {
      if (!pipe.upstream) {
        if (pipe.info.clientClosed) {
          this.pipes.delete(pipe); // it gave up before reaching the server: nothing to deliver
          continue;
        }
        this.connectUpstream(pipe);
      }
      this.flush(pipe);
    }
  }

  async close(): Promise<void> {
    for (const pipe of this.pipes) {
      pipe.client.destroy();
      pipe.upstream?.destroy();
    }
    this.pipes.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: net.Socket): void {
    const info: ProxiedConnection = { id: ++this.nextId, clientClosed: false, heldFromClient: 0 };
    this.connections.push(info);
    const pipe: Pipe = { info, client, held: [], upstreamClosed: false };
    this.pipes.add(pipe);
    client.on("error", () => undefined);
    client.on("data", (chunk: Buffer) => {
      if (this.stalled || !pipe.upstream) {
        info.heldFromClient += chunk.length;
        pipe.held.push({ to: "upstream", chunk });
      } else pipe.upstream.write(chunk);
    });
    client.on("close", () => {
      info.clientClosed = true;
      // Stalled (or not connected yet): its end travels after what it sent, once the stall is over.
      if (!this.stalled && pipe.upstream) pipe.upstream.end();
    });
    if (!this.stalled) this.connectUpstream(pipe);
  }

  private connectUpstream(pipe: Pipe): void {
    const upstream = net.connect(this.target.port, this.target.host);
    pipe.upstream = upstream;
    upstream.on("error", () => undefined);
    upstream.on("data", (chunk: Buffer) => {
      if (this.stalled) pipe.held.push({ to: "client", chunk });
      else if (!pipe.client.destroyed) pipe.client.write(chunk);
    });
    upstream.on("close", () => {
      pipe.upstreamClosed = true;
      if (!this.stalled) this.finish(pipe);
    });
  }

  /** Both sides are done with: the client learns of a server that went away only now. */
  private finish(pipe: Pipe): void {
    pipe.client.destroy();
    this.pipes.delete(pipe);
  }

  private flush(pipe: Pipe): void {
    for (const { to, chunk } of pipe.held.splice(0)) {
      if (to === "upstream") pipe.upstream?.write(chunk);
      else if (!pipe.client.destroyed) pipe.client.write(chunk);
    }
    if (pipe.info.clientClosed) pipe.upstream?.end();
    if (pipe.upstreamClosed) this.finish(pipe);
  }
}
