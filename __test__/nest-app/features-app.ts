// Apps for the rest of ferroauth/nestjs: FerroAuthModule.forRoot / forRootAsync, @Public,
// @CurrentUser('field'), @Scopes, @Roles, @RequireStatus, an exception filter. Compiled with
// `tsc --strict --experimentalDecorators --emitDecoratorMetadata`, so it is the type test too.
import 'reflect-metadata';
import {
  ArgumentsHost,
  Catch,
  Controller,
  Delete,
  ExceptionFilter,
  ExecutionContext,
  ForbiddenException,
  Get,
  HttpException,
  Inject,
  Injectable,
  Module,
  Param,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import type { Request, Response } from 'express';
import {
  CurrentUser,
  FERROAUTH_OPTIONS,
  FerroAuthModule,
  JwtAuthGuard,
  Public,
  RequireStatus,
  Roles,
  Scopes,
} from 'ferroauth/nestjs';
import type { JwtAuthGuardOptions, UserPayload } from 'ferroauth/nestjs';

export type Status = 'PENDING_VERIFICATION' | 'ONBOARDING_BUSINESS_PENDING' | 'ONBOARDING_META_PENDING' | 'ACTIVE';

/** The onboarding state machine's statuses, by user id; the tests move users along. */
export const statuses = new Map<string, Status>();
export const resolveStatusCalls: string[] = [];

async function resolveStatus(user: UserPayload): Promise<Status | undefined> {
  resolveStatusCalls.push(user.userId!);
  await new Promise((resolve) => setImmediate(resolve));
  return statuses.get(user.userId!);
}

@Controller('me')
export class MeController {
  @Get()
  me(@CurrentUser() user: UserPayload) {
    return { userId: user.userId, email: user.email, scopes: user.scopes, roles: user.roles };
  }

  @Get('email')
  email(@CurrentUser('email') email: string | undefined) {
    return { email: email ?? null };
  }

  @Public()
  @Get('open')
  open(@CurrentUser() user: UserPayload | undefined) {
    return { open: true, user: user ?? null };
  }

  @Scopes('posts:write')
  @Post('posts')
  createPost(@CurrentUser('userId') userId: string) {
    return { created: true, by: userId };
  }

  @Roles('admin')
  @Delete('users/:id')
  removeUser(@Param('id') id: string) {
    return { removed: id };
  }

  @RequireStatus('ONBOARDING_BUSINESS_PENDING')
  @Post('business-details')
  businessDetails(@CurrentUser() user: UserPayload) {
    statuses.set(user.userId!, 'ONBOARDING_META_PENDING');
    return { next: 'ONBOARDING_META_PENDING' };
  }

  @RequireStatus('ONBOARDING_META_PENDING')
  @Post('meta-onboarding-complete')
  metaComplete(@CurrentUser() user: UserPayload) {
    statuses.set(user.userId!, 'ACTIVE');
    return { next: 'ACTIVE' };
  }
}

/** Open as a whole; one handler closes itself again with @Public(false). */
@Public()
@Controller('catalog')
export class CatalogController {
  @Get()
  list() {
    return { items: ['a', 'b'] };
  }

  @Public(false)
  @Get('mine')
  mine(@CurrentUser() user: UserPayload) {
    return { owner: user.userId };
  }
}

/** A controller-wide requirement that one handler lifts and another replaces. */
@Scopes('admin:read')
@Controller('admin')
export class AdminController {
  @Get()
  overview() {
    return { admin: true };
  }

  @Scopes()
  @Get('lifted')
  lifted() {
    return { lifted: true };
  }

  @Roles('auditor')
  @Scopes('audit:read')
  @Get('audit')
  audit() {
    return { audit: true };
  }
}

/** FerroAuthModule.forRoot + the guard as APP_GUARD through DI. */
@Module({
  imports: [
    FerroAuthModule.forRoot({
      secret: process.env.JWT_ACCESS_SECRET!,
      issuer: 'ferroauth-test',
      audience: 'ferroauth-api',
      resolveStatus,
    }),
  ],
  controllers: [MeController, CatalogController, AdminController],
  providers: [{ provide: APP_GUARD, useClass: JwtAuthGuard }],
})
export class ForRootAppModule {}

// --- forRootAsync -------------------------------------------------------------------------

@Injectable()
export class AuthConfig {
  readonly secret = process.env.JWT_ACCESS_SECRET!;
  readonly issuer = 'ferroauth-async';
}

@Module({ providers: [AuthConfig], exports: [AuthConfig] })
export class AuthConfigModule {}

export const seenExceptions: HttpException[] = [];

@Catch(HttpException)
export class RecordingFilter implements ExceptionFilter {
  catch(exception: HttpException, host: ArgumentsHost) {
    seenExceptions.push(exception);
    const response = host.switchToHttp().getResponse<Response>();
    response.status(exception.getStatus()).json({ ...(exception.getResponse() as object), filtered: true });
  }
}

/** Guarded through DI: FerroAuthModule provides the options to JwtAuthGuard's constructor. */
@Controller('async')
@UseGuards(JwtAuthGuard)
export class AsyncController {
  constructor(@Inject(FERROAUTH_OPTIONS) private readonly authOptions: JwtAuthGuardOptions) {}

  @Get('me')
  me(@CurrentUser() user: UserPayload, @Req() request: Request & { auth?: UserPayload }) {
    return { userId: user.userId, issuer: this.authOptions.issuer, fromRequestProperty: request.auth?.userId ?? null };
  }
}

/** A guard of its own that lets anonymous requests in. */
@Controller('optional')
export class OptionalController {
  @Get()
  @UseGuards(new JwtAuthGuard({ secret: process.env.JWT_ACCESS_SECRET!, credentialsRequired: false }))
  maybe(@CurrentUser() user: UserPayload | undefined) {
    return { userId: user?.userId ?? null };
  }

  @Get('scoped')
  @Scopes('reports:read')
  @UseGuards(new JwtAuthGuard({ secret: process.env.JWT_ACCESS_SECRET!, credentialsRequired: false }))
  scoped(@CurrentUser() user: UserPayload) {
    return { userId: user.userId };
  }
}

/** An app's own guard built on JwtAuthGuard: `await super.canActivate()`, then a rule of its own. */
@Injectable()
export class NotSuspendedGuard extends JwtAuthGuard {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const allowed = await super.canActivate(context);
    const request = context.switchToHttp().getRequest<Request & { auth?: UserPayload }>();
    if (request.auth?.claims.suspended === true) throw new ForbiddenException('Account suspended');
    return allowed;
  }
}

@Controller('account')
export class AccountController {
  @Get()
  @UseGuards(NotSuspendedGuard)
  account(@CurrentUser() user: UserPayload) {
    return { userId: user.userId };
  }
}

@Module({
  imports: [
    FerroAuthModule.forRootAsync({
      imports: [AuthConfigModule],
      inject: [AuthConfig],
      useFactory: async (config: AuthConfig): Promise<JwtAuthGuardOptions> => ({
        secret: config.secret,
        issuer: config.issuer,
        requestProperty: 'auth',
      }),
    }),
  ],
  controllers: [AsyncController, OptionalController, AccountController],
  providers: [{ provide: APP_FILTER, useClass: RecordingFilter }],
})
export class ForRootAsyncAppModule {}
