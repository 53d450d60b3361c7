// A NestJS app as `nest new` makes them since NestJS 12: an ES module (here an .mts file;
// module nodenext), importing ferroauth by named ESM imports.

import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TokenSigner } from 'ferroauth';
import type { UserPayload } from 'ferroauth';
import { CurrentUser, FerroAuthModule, JwtAuthGuard, Public, Scopes } from 'ferroauth/nestjs';

const secret = process.env.JWT_ACCESS_SECRET;
if (!secret) throw new Error('JWT_ACCESS_SECRET is not set');

export const signer = new TokenSigner({ secret, issuer: 'esm-app', expiresIn: '5m' });

@Controller()
export class AppController {
  @Public()
  @Get('health')
  health() {
    return { ok: true };
  }

  @Get('me')
  me(@CurrentUser() user: UserPayload) {
    return { userId: user.userId, email: user.email };
  }

  @Scopes('reports:read')
  @Get('reports')
  reports(@CurrentUser('userId') userId: string) {
    return { for: userId };
  }
}

@Module({
  imports: [FerroAuthModule.forRoot({ secret, issuer: 'esm-app' })],
  controllers: [AppController],
  providers: [{ provide: APP_GUARD, useExisting: JwtAuthGuard }],
})
export class AppModule {}
