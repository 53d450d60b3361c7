// The NestJS snippets of the reference guard library's README
// (/work/shared/reference/tekcify-auth-backend-readme.txt), with the import path changed to
// 'ferroauth/nestjs'. Only what the snippets leave out is added: the repositories they call,
// the controllers list of the module, and imports step 4 forgot (UseGuards, UserPayload).
import 'reflect-metadata';
import { Module, Controller, Get, UseGuards } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtAuthGuard, CurrentUser } from 'ferroauth/nestjs';
import type { UserPayload } from 'ferroauth/nestjs';

interface User {
  id: string;
  email: string;
}

/** Stand-in for the app's database. */
export const userRepository = {
  users: new Map<string, User>(),
  async findById(id: string): Promise<User | undefined> {
    return this.users.get(id);
  },
};

export const postRepository = {
  async findByUserId(userId: string): Promise<Array<{ id: number; authorId: string; title: string }>> {
    return [{ id: 1, authorId: userId, title: 'Hello' }];
  },
};

// Steps 3 and 5, and the "Complete NestJS Example".
@Controller('api')
@UseGuards(JwtAuthGuard) // Protect entire controller
export class ApiController {
  @Get('profile')
  getProfile(@CurrentUser() user: UserPayload) {
    return {
      userId: user.userId,
      email: user.email,
      scopes: user.scopes,
    };
  }

  @Get('public')
  // This route is still protected by the controller-level guard
  getPublic() {
    return { message: 'Public endpoint' };
  }

  @Get('posts')
  async getPosts(@CurrentUser() user: UserPayload) {
    // Only return posts for the authenticated user
    return await postRepository.findByUserId(user.userId!);
  }

  @Get('me')
  @UseGuards(JwtAuthGuard)
  getCurrentUser(@CurrentUser() user: UserPayload) {
    return {
      userId: user.userId,
      email: user.email,
      scopes: user.scopes || [],
    };
  }
}

// Step 2.
@Module({
  controllers: [ApiController],
  providers: [
    {
      provide: APP_GUARD,
      useFactory: () => {
        return new JwtAuthGuard({
          secret: process.env.JWT_ACCESS_SECRET!,
          issuer: 'tekcify-auth',
          audience: 'tekcify-api',
          getUserInfo: async (userId: string) => {
            // Optional: Fetch user info from your database
            // This is called only if getUserInfo is provided
            const user = await userRepository.findById(userId);
            return user ? { email: user.email } : null;
          },
        });
      },
    },
  ],
})
export class AppModule {}

// Step 4: per-route guard usage, in an app of its own (it also serves /api/public).
@Controller('api')
export class PerRouteApiController {
  @Get('public')
  getPublic() {
    return { message: 'Public endpoint' };
  }

  @Get('protected')
  @UseGuards(new JwtAuthGuard({
    secret: process.env.JWT_ACCESS_SECRET!,
    issuer: 'tekcify-auth',
    audience: 'tekcify-api',
  }))
  getProtected(@CurrentUser() user: UserPayload) {
    return {
      message: 'Protected endpoint',
      user: user.userId,
    };
  }
}

@Module({ controllers: [PerRouteApiController] })
export class PerRouteAppModule {}
