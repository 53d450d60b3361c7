// JwtAuthGuard on NestJS's other transports, as an app would use it: a WebSocket gateway (the
// `ws` platform) and a TCP microservice, each reading the token from the message itself.

import 'reflect-metadata';
import { Controller, Module, UseGuards } from '@nestjs/common';
import type { ExecutionContext } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { UserPayload } from 'ferroauth';
import { CurrentUser, JwtAuthGuard, Public, RequireStatus, Scopes } from 'ferroauth/nestjs';

const secret = process.env.JWT_ACCESS_SECRET;
if (!secret) throw new Error('JWT_ACCESS_SECRET is not set');

interface Message {
  token?: string;
  text?: string;
}

/** The token travels in each message: `{ token, ... }`. */
const tokenOf = (context: ExecutionContext | undefined, transport: 'ws' | 'rpc'): string | undefined => {
  const data = (transport === 'ws' ? context?.switchToWs().getData() : context?.switchToRpc().getData()) as
    | Message
    | undefined;
  return data?.token;
};

const options = {
  secret,
  resolveStatus: (user: UserPayload) => user.claims.status,
};

@WebSocketGateway({ path: '/events' })
@UseGuards(new JwtAuthGuard({ ...options, getToken: (_client: unknown, context?: ExecutionContext) => tokenOf(context, 'ws') }))
export class EventsGateway {
  @SubscribeMessage('whoami')
  whoami(@CurrentUser() user: UserPayload) {
    return { event: 'whoami', data: { userId: user.userId, email: user.email } };
  }

  @Scopes('reports:read')
  @SubscribeMessage('report')
  report(@CurrentUser('userId') userId: string) {
    return { event: 'report', data: { for: userId } };
  }

  @RequireStatus('ACTIVE')
  @SubscribeMessage('publish')
  publish(@MessageBody() message: Message) {
    return { event: 'published', data: message.text };
  }

  @Public()
  @SubscribeMessage('ping')
  ping() {
    return { event: 'pong', data: true };
  }
}

/** Tokens optional: each message is answered for whoever its own token names, or for nobody. */
const optionalGuard = (requestProperty?: string) =>
  new JwtAuthGuard({
    ...options,
    credentialsRequired: false,
    requestProperty,
    getToken: (_client: unknown, context?: ExecutionContext) => tokenOf(context, 'ws'),
  });

class OptionalHandlers {
  @SubscribeMessage('whoami')
  whoami(@CurrentUser() user: UserPayload | undefined) {
    return { event: 'whoami', data: { userId: user?.userId ?? null } };
  }
}

@WebSocketGateway({ path: '/optional' })
@UseGuards(optionalGuard())
export class OptionalGateway extends OptionalHandlers {}

/** The same with the user under another request property. */
@WebSocketGateway({ path: '/optional-principal' })
@UseGuards(optionalGuard('principal'))
export class OptionalPrincipalGateway extends OptionalHandlers {}

@Controller()
@UseGuards(new JwtAuthGuard({ ...options, getToken: (_carrier: unknown, context?: ExecutionContext) => tokenOf(context, 'rpc') }))
export class OrdersController {
  @MessagePattern('whoami')
  whoami(@CurrentUser('userId') userId: string) {
    return { userId };
  }

  @Scopes('orders:write')
  @MessagePattern('orders.create')
  create(@Payload() message: Message, @CurrentUser() user: UserPayload) {
    return { createdFor: user.userId, text: message.text };
  }
}

@Module({ providers: [EventsGateway, OptionalGateway, OptionalPrincipalGateway] })
export class GatewayModule {}

@Module({ controllers: [OrdersController] })
export class MicroserviceModule {}
