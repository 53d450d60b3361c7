// The reference setup's login / refresh / logout controller (nestjs-refresh-rotation-setup.md,
// section 6) on ferroauth: RefreshTokenManager replaces the bcrypt-compared token table, the
// cookie helpers replace cookie.util.ts, and the user id comes from the rotated session
// instead of an x-user-id header. JwtAuthGuard guards everything not marked @Public().
import 'reflect-metadata';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Module,
  Post,
  Req,
  Res,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Request, Response } from 'express';
import { FerroAuthError, MemoryStore, RefreshTokenManager, TokenSigner } from 'ferroauth';
import type { SessionInfo } from 'ferroauth';
import {
  CurrentUser,
  JwtAuthGuard,
  Public,
  clearRefreshCookie,
  readRefreshCookie,
  setRefreshCookie,
} from 'ferroauth/nestjs';
import type { RefreshCookieOptions } from 'ferroauth/nestjs';

const ISSUER = 'nest-refresh-app';

// /auth/refresh and /auth/logout both read the cookie, so it goes to /auth/*.
const cookie: RefreshCookieOptions = { path: '/auth', domain: process.env.COOKIE_DOMAIN || undefined };

/** Stand-in for the app's users table. */
export const users = new Map([['ada@example.com', { id: 'u-1', email: 'ada@example.com', password: 'Correct-h0rse!' }]]);

/** Refresh failures as HTTP: Redis down is a 503 (try again), anything else a 401 (log in). */
function refreshFailure(error: unknown): never {
  if (error instanceof FerroAuthError) {
    if (error.code === 'ERR_STORE_UNAVAILABLE') throw new ServiceUnavailableException(error.message);
    if (error.code.startsWith('ERR_REFRESH_')) throw new UnauthorizedException(error.message);
  }
  throw error;
}

@Controller('auth')
export class AuthController {
  constructor(
    private readonly refresh: RefreshTokenManager,
    private readonly signer: TokenSigner,
  ) {}

  @Public()
  @Post('login')
  async login(
    @Body() body: { email: string; password: string },
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const user = users.get(body.email);
    if (!user || user.password !== body.password) throw new UnauthorizedException();

    const session = await this.refresh.issue(user.id, req);
    setRefreshCookie(res, session, cookie);
    // Send access token in body (client stores in memory)
    return { accessToken: this.signer.sign({ sub: user.id, email: user.email }) };
  }

  // Called by Axios interceptor when it sees 401
  @Public()
  @Post('refresh')
  @HttpCode(200)
  async refreshTokens(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    try {
      const next = await this.refresh.rotate(readRefreshCookie(req, cookie), req);
      setRefreshCookie(res, next, cookie); // rotation
      return { accessToken: this.signer.sign({ sub: next.userId }) };
    } catch (error) {
      clearRefreshCookie(res, cookie);
      refreshFailure(error);
    }
  }

  @Public()
  @Post('logout')
  @HttpCode(200)
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const rt = readRefreshCookie(req, cookie);
    if (rt) await this.refresh.revoke(rt).catch(() => false);
    clearRefreshCookie(res, cookie);
    return { ok: true };
  }

  @Get('sessions')
  async sessions(@CurrentUser('userId') userId: string): Promise<{ sessions: SessionInfo[] }> {
    return { sessions: await this.refresh.listSessions(userId) };
  }

  @Post('logout-everywhere')
  @HttpCode(200)
  async logoutEverywhere(@CurrentUser('userId') userId: string, @Res({ passthrough: true }) res: Response) {
    const ended = await this.refresh.revokeAllForUser(userId);
    clearRefreshCookie(res, cookie);
    return { ended };
  }
}

@Module({
  controllers: [AuthController],
  providers: [
    {
      provide: RefreshTokenManager,
      useFactory: () => new RefreshTokenManager({ store: new MemoryStore(), ttl: '7d' }),
    },
    {
      provide: TokenSigner,
      useFactory: () => new TokenSigner({ secret: process.env.JWT_ACCESS_SECRET!, issuer: ISSUER, expiresIn: '15m' }),
    },
    {
      provide: APP_GUARD,
      useFactory: () => new JwtAuthGuard({ secret: process.env.JWT_ACCESS_SECRET!, issuer: ISSUER }),
    },
  ],
})
export class AppModule {}
