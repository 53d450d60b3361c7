// Rate limits on NestJS handlers with @RateLimit() and @SkipRateLimit(): an app with no
// ferroauth module at all (the app-wide MemoryStore), and apps whose FerroAuthModule.forRoot
// options name the store. Compiled with `tsc --strict --experimentalDecorators
// --emitDecoratorMetadata`, so it is the type test of the decorators too.
import 'reflect-metadata';
import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import type { DynamicModule, Type } from '@nestjs/common';
import type { Store } from 'ferroauth';
import { FerroAuthModule, RateLimit, SkipRateLimit } from 'ferroauth/nestjs';
import type { RateLimitOptions } from 'ferroauth/nestjs';

const byEmail: RateLimitOptions = {
  name: 'login',
  key: (req: { body?: { email?: string } }) => `login:${String(req.body?.email).toLowerCase()}`,
};

@Controller('throttled')
@RateLimit(3, '1m')
export class ThrottledController {
  @Get('a')
  a() {
    return { route: 'a' };
  }

  @Get('b')
  b() {
    return { route: 'b' };
  }

  @Get('strict')
  @RateLimit(1, 60)
  strict() {
    return { route: 'strict' };
  }

  @Get('health')
  @SkipRateLimit()
  health() {
    return { ok: true };
  }

  @Post('login')
  @RateLimit(2, '15m', byEmail)
  login(@Body() body: { email: string }) {
    return { loggedIn: body.email };
  }
}

@Controller('open')
export class OpenController {
  @Get()
  open() {
    return { open: true };
  }

  @Get('quiet')
  @RateLimit(1, '1h', { headers: false })
  quiet() {
    return { quiet: true };
  }
}

@Controller('skipped')
@SkipRateLimit()
export class SkippedController {
  @Get()
  @RateLimit(1, '1h')
  limitedAnyway() {
    return { skipped: true };
  }
}

/** No FerroAuthModule: the decorators bring their guard and the app-wide MemoryStore. */
@Module({ controllers: [ThrottledController, OpenController, SkippedController] })
export class NoModuleApp {}

@Controller('stored')
export class StoredController {
  @Get()
  @RateLimit(2, '1m', { name: 'stored' })
  stored() {
    return { stored: true };
  }

  @Get('lenient')
  @RateLimit(2, '1m', { name: 'lenient', failOpen: true })
  lenient() {
    return { lenient: true };
  }
}

/** FerroAuthModule.forRoot({ ..., store }): @RateLimit() counts in that store. */
export function storeApp(store: Store, secret: string): Type<unknown> {
  const ferroauth: DynamicModule = FerroAuthModule.forRoot({ secret, store });
  @Module({ imports: [ferroauth], controllers: [StoredController] })
  class StoreApp {}
  return StoreApp;
}

/** The same through forRootAsync, as apps that read configuration do. */
export function asyncStoreApp(store: Store, secret: string): Type<unknown> {
  const ferroauth = FerroAuthModule.forRootAsync({ useFactory: async () => ({ secret, store }) });
  @Module({ imports: [ferroauth], controllers: [StoredController] })
  class AsyncStoreApp {}
  return AsyncStoreApp;
}
